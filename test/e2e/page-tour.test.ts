import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addStaff, PASSWORD } from "../console/support.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage, signInAt } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

// Every console page as staff see it: found by following the console's own links from the inbox (so a new page
// is toured as soon as something links to it), on a laptop in English and on a 360 px phone in English,
// Indonesian and Polish. Each is screenshot into test/artifacts/pages/<stage>/ (TOUR_STAGE=before on an older
// checkout gives the "before" set) and must answer, run without script errors, and fit the phone's width.
const STAGE = process.env.TOUR_STAGE ?? "after";
const OUT = `test/artifacts/pages/${STAGE}`;
const LOCALES = ["en", "id", "pl"] as const;
/** Links that leave the page kind or start a download; the tour only looks. */
const SKIP = /\/(logout|export|download)\b|\.(csv|json|eml|zip)(\?|$)|\/events$/;
/** Pages found past this many are left out, so a link bug cannot make the tour endless. */
const MAX_PAGES = 60;

const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  app = await startTestApp({ databaseUrl: database.url, redisUrl: redis.url, prefix: redis.prefix });
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A path's kind: ids and numbers folded, the query and fragment left out (tabs and filters are the same page). */
function kindOf(path: string): string {
  return path
    .split(/[?#]/)[0]!
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ":id")
    .replace(/\/\d+(?=\/|$)/g, "/:n");
}

/** A file name for a page kind. */
function slugOf(kind: string): string {
  return (
    kind
      .replace(/^\/console\/?/, "")
      .replace(/[/:]+/g, "-")
      .replace(/^-|-$/g, "") || "console"
  );
}

const signIn = (page: Page, email: string) => signInAt(page, app.url!, email, PASSWORD);

/** The deepest elements that reach past the screen's right edge, as tag.class, to say what to fix. */
function widest(page: Page): Promise<string> {
  return page.evaluate(() => {
    // what a scrolling box (the navigation, a wide table's wrapper) holds does not widen the page
    const clipped = (e: Element) => {
      for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== "visible") return true;
      }
      return false;
    };
    const past = Array.from(document.querySelectorAll("body *")).filter(
      (e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !clipped(e),
    );
    const leaves = past.filter((e) => !past.some((other) => other !== e && e.contains(other)));
    return leaves
      .slice(0, 3)
      .map(
        (e) =>
          `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).split(" ").join(".")}` : ""} "${e.textContent?.trim().slice(0, 30)}"`,
      )
      .join(", ");
  });
}

describe("a tour of every console page", () => {
  it("answers, has no script errors and fits a 360 px phone in English, Indonesian and Polish", async () => {
    const staff = Object.fromEntries(
      LOCALES.map((locale) => [locale, `tour-${locale}-${Date.now()}@example.com`]),
    ) as Record<(typeof LOCALES)[number], string>;
    for (const locale of LOCALES) {
      await addStaff(database.db, staff[locale], "admin", { locale, name: `Tour ${locale.toUpperCase()}` });
    }

    // something on every page: the demo customers with their purchases, and a web chat visitor's conversation
    const laptop = await openPage(browser, 1280, 800);
    await signIn(laptop.page, staff.en);
    await laptop.page.goto(`${app.url}/console/inbox`);
    const loadDemo = laptop.page.locator('form[action="/console/inbox/demo-data"] button');
    await Promise.all([laptop.page.waitForURL(/demo=/), loadDemo.click()]);

    const visitor = await openPage(browser, 360, 740);
    await visitor.page.goto(`${app.url}/webchat/demo`);
    await visitor.page.screenshot({ path: `${OUT}/360-en-webchat-demo.png`, fullPage: true });
    const demoOverflow = await visitor.page.evaluate(() => document.documentElement.scrollWidth);
    await visitor.page.getByRole("button", { name: /^Open chat with/ }).click();
    await visitor.page.getByRole("textbox", { name: "Write a message…" }).fill("Halo, pesanan saya di mana?");
    await visitor.page.getByRole("button", { name: "Send", exact: true }).click();

    await laptop.page.locator(".inbox-row", { hasText: "Web chat" }).waitFor({ timeout: 20_000 });

    // the pages, found from the inbox by their links, one per kind
    const found = new Map<string, string>();
    const queue = ["/console/inbox"];
    while (queue.length > 0 && found.size < MAX_PAGES) {
      const path = queue.shift()!;
      const kind = kindOf(path);
      if (found.has(kind)) continue;
      found.set(kind, path);
      await laptop.page.goto(`${app.url}${path}`);
      const links = await laptop.page.$$eval('a[href^="/console"]', (anchors) =>
        anchors.map((a) => a.getAttribute("href")!),
      );
      for (const link of links) {
        if (!SKIP.test(link) && !found.has(kindOf(link))) queue.push(link);
      }
    }
    expect(found.size).toBeGreaterThanOrEqual(10);

    const problems: string[] = [];
    const shoot = async (page: Page, errors: string[], width: number, locale: string) => {
      for (const [kind, path] of found) {
        errors.length = 0;
        const response = await page.goto(`${app.url}${path}`);
        const name = `${width}-${locale}-${slugOf(kind)}`;
        await page.screenshot({ path: `${OUT}/${name}.png`, fullPage: true });
        if ((response?.status() ?? 0) >= 400) problems.push(`${name}: HTTP ${response?.status()}`);
        if (errors.length > 0) problems.push(`${name}: ${errors.join("; ")}`);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        if (wide > width)
          problems.push(`${name}: ${wide} px wide on a ${width} px screen (${await widest(page)})`);
      }
    };
    // the laptop and the three phones side by side: the server and the browser each wait less
    await Promise.all([
      shoot(laptop.page, laptop.errors, 1280, "en"),
      ...LOCALES.map(async (locale) => {
        const phone = await openPage(browser, 360, 740);
        await signIn(phone.page, staff[locale]);
        await shoot(phone.page, phone.errors, 360, locale);
        await phone.page.context().close();
      }),
    ]);
    await laptop.page.context().close();
    await visitor.page.context().close();

    if (demoOverflow > 360) problems.push(`/webchat/demo: ${demoOverflow} px wide on a 360 px screen`);
    expect(problems).toEqual([]);
  }, 300_000);
});
