import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage, signInAt } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { addStaff, PASSWORD, startConsole, uniqueEmail } from "./support.ts";

// Every console page on a 360 px phone: nothing wider than the screen, and the navigation, which scrolls
// sideways there, shows that more links are off screen. And the dashboard's charts fill their cards.
const OUT = "test/artifacts/phone-layout";
const DAY = 86_400_000;

const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp;
let browser: Browser;
let adminEmail: string;
let customerId: string;
let conversationId: string;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    workers: false,
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A customer with tags, an address and a Telegram conversation with messages on each of the last 12 days. */
async function seed(): Promise<void> {
  const db = database.db;
  const customer = await db.customer.create({
    data: {
      name: "Katarzyna Wiśniewska-Przybylska",
      email: uniqueEmail("katarzyna.wisniewska-przybylska.long.address"),
      phone: "+48601234567",
      locale: "pl",
      timezone: "Europe/Warsaw",
      country: "PL",
      tags: ["vip", "wholesale-buyer", "newsletter-2026"],
      address: { line1: "ul. Marszałkowska 140/12", city: "Warszawa", postalCode: "00-061", country: "PL" },
      identities: {
        create: { channel: "telegram", externalId: "7001", handle: "kasia_w", displayName: "Kasia" },
      },
    },
  });
  customerId = customer.id;
  const now = Date.now();
  const conversation = await db.conversation.create({
    data: { customerId, channel: "telegram", lastMessageAt: new Date(now - 60_000) },
  });
  conversationId = conversation.id;
  const messages = Array.from({ length: 12 }, (_, day) => [
    { direction: "inbound" as const, author: "customer" as const, text: `Dzień dobry, pytanie nr ${day}` },
    { direction: "outbound" as const, author: "bot" as const, text: `Odpowiedź nr ${day}` },
  ]).flatMap((pair, day) =>
    pair.map((m, i) => ({
      ...m,
      customerId,
      conversationId,
      channel: "telegram" as const,
      externalId: `m-${day}-${i}`,
      sentAt: new Date(now - day * DAY - (2 - i) * 60_000),
    })),
  );
  await db.interaction.createMany({ data: messages });
}

const signIn = (page: Page, email: string) => signInAt(page, app.url!, email, PASSWORD);

/** How wide the page is, and whether its navigation scrolls and shows the cue at its right edge. */
function measure(page: Page) {
  return page.evaluate(() => {
    const nav = document.querySelector<HTMLElement>(".nav");
    const style = nav ? getComputedStyle(nav) : undefined;
    return {
      width: document.documentElement.scrollWidth,
      navScrolls: nav ? nav.scrollWidth > nav.clientWidth : false,
      navBackground: style?.backgroundImage ?? "",
      navOverflow: style?.overflowX ?? "",
      // the current page's link, when the navigation has one, within the visible part of the navigation
      currentShown: (() => {
        const current = nav?.querySelector('[aria-current="page"]');
        if (!nav || !current) return true;
        const box = nav.getBoundingClientRect();
        const link = current.getBoundingClientRect();
        return link.left >= box.left - 1 && link.right <= box.right + 1;
      })(),
      // the widest element, to name in a failure
      widest: Array.from(document.querySelectorAll<HTMLElement>("body *"))
        .filter((e) => !e.closest(".nav") && e.getBoundingClientRect().right > innerWidth + 1)
        .slice(0, 3)
        .map(
          (e) =>
            `${e.tagName.toLowerCase()}.${Array.from(e.classList).join(".")} ${Math.round(e.getBoundingClientRect().right)}`,
        ),
    };
  });
}

/**
 * The colour of the pixels at the navigation bar's left and right inner edges, sampled from a screenshot:
 * where more links are off screen, the cue's shadow darkens the bar's white.
 */
async function edgeShade(page: Page): Promise<{ left: number; right: number }> {
  const box = (await page.locator(".nav").boundingBox())!;
  const png = await page.screenshot({ clip: box });
  const probe = await browser.newPage();
  try {
    return await probe.evaluate(async (data) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext("2d")!;
      context.drawImage(image, 0, 0);
      const y = Math.floor(image.height / 2);
      const shade = (x: number) => {
        const [r, g, b] = context.getImageData(x, y, 1, 1).data;
        return 255 - Math.round((r! + g! + b!) / 3);
      };
      return { left: shade(1), right: shade(image.width - 2) };
    }, png.toString("base64"));
  } finally {
    await probe.close();
  }
}

describe("the console on a 360 px phone", () => {
  it("opens the first-start page within the screen", async () => {
    // a console on an empty staff table, with the start's setup token, as a first start shows it
    const emptyDb = database.db;
    const hasStaff = await emptyDb.staffUser.count();
    expect(hasStaff).toBe(0);
    const { http } = await startConsole({ db: emptyDb, setupToken: "setup-token-for-the-phone-test" });
    await http.listen({ host: "127.0.0.1", port: 0 });
    try {
      const base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
      const { page } = await openPage(browser, 360, 740);
      const response = await page.goto(`${base}/console/setup?token=setup-token-for-the-phone-test`);
      expect(response?.status()).toBe(200);
      await page.screenshot({ path: `${OUT}/360-setup.png`, fullPage: true });
      expect((await measure(page)).width).toBeLessThanOrEqual(360);
      await page.context().close();
    } finally {
      await http.close();
    }
  });

  it("fits every console page in the screen, and the navigation shows it scrolls", async () => {
    await seed();
    adminEmail = uniqueEmail("phone-admin");
    await addStaff(database.db, adminEmail, "admin", { name: "Admin Telefon" });
    // an audit row and a tag list to show
    const { page, errors } = await openPage(browser, 360, 740);
    await page.goto(`${app.url}/console/login`);
    await page.screenshot({ path: `${OUT}/360-login.png`, fullPage: true });
    expect((await measure(page)).width).toBeLessThanOrEqual(360);
    await signIn(page, adminEmail);

    await page.goto(`${app.url}/console/campaigns`);
    const campaignLinks = await page.$$eval('a[href^="/console/campaigns/"]', (anchors) =>
      anchors
        .map((a) => a.getAttribute("href")!)
        .filter((href) => /^\/console\/campaigns\/[^/?#]+$/.test(href)),
    );
    expect(campaignLinks.length).toBeGreaterThan(0);

    const pages: Record<string, string> = {
      inbox: "/console/inbox",
      conversation: `/console/conversations/${conversationId}`,
      customers: "/console/customers",
      "customers-tag": "/console/customers?tag=vip",
      customer: `/console/customers/${customerId}`,
      "customer-edit": `/console/customers/${customerId}/edit`,
      "customer-merge": `/console/customers/${customerId}/merge`,
      campaigns: "/console/campaigns",
      campaign: campaignLinks[0]!,
      segments: "/console/segments",
      dashboard: "/console/dashboard",
      canned: "/console/canned",
      staff: "/console/staff",
      tokens: "/console/tokens",
      webhooks: "/console/webhooks",
      import: "/console/import",
      audit: "/console/audit",
      failures: "/console/failures",
    };
    const problems: string[] = [];
    for (const [name, path] of Object.entries(pages)) {
      errors.length = 0;
      const response = await page.goto(`${app.url}${path}`);
      await page.screenshot({ path: `${OUT}/360-${name}.png`, fullPage: true });
      const seen = await measure(page);
      if ((response?.status() ?? 0) >= 400) problems.push(`${name}: HTTP ${response?.status()}`);
      if (seen.width > 360) problems.push(`${name}: ${seen.width} px wide (${seen.widest.join(", ")})`);
      if (!seen.navScrolls) problems.push(`${name}: the navigation does not scroll`);
      if (seen.navOverflow !== "auto")
        problems.push(`${name}: the navigation is overflow-x ${seen.navOverflow}`);
      if (!seen.currentShown) problems.push(`${name}: the current page's link is scrolled out of view`);
    }
    expect(problems).toEqual([]);

    // the cue: a shadow at the right edge while links are off screen there, at the left once scrolled (on a
    // page whose own link, drawn highlighted, is at neither edge)
    await page.goto(`${app.url}/console/customers/${customerId}`);
    await page.locator(".nav").screenshot({ path: `${OUT}/360-nav-start.png` });
    const start = await edgeShade(page);
    expect(start.right).toBeGreaterThan(20);
    expect(start.left).toBeLessThan(5);
    await page.locator(".nav").evaluate((nav) => {
      nav.scrollLeft = nav.scrollWidth;
    });
    await page.locator(".nav").screenshot({ path: `${OUT}/360-nav-scrolled.png` });
    const end = await edgeShade(page);
    expect(end.left).toBeGreaterThan(20);
    expect(end.right).toBeLessThan(5);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);

  it("fits the web chat demo page in the screen", async () => {
    const { page } = await openPage(browser, 360, 740);
    await page.goto(`${app.url}/webchat/demo`);
    await page.screenshot({ path: `${OUT}/360-webchat-demo.png`, fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // and with the chat open
    await page.getByRole("button", { name: /^Open chat with/ }).click();
    await page.getByRole("textbox", { name: "Write a message…" }).waitFor();
    await page.screenshot({ path: `${OUT}/360-webchat-demo-open.png`, fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.context().close();
  });
});

describe("the dashboard's charts", () => {
  it.each([1280, 360])(
    "fill their cards at %i px, with text of 12 to 18 px",
    async (width) => {
      const { page, errors } = await openPage(browser, width, 900);
      await signIn(page, adminEmail);
      await page.goto(`${app.url}/console/dashboard`);
      await page.screenshot({ path: `${OUT}/${width}-dashboard.png`, fullPage: true });
      const charts = await page.$$eval("figure.chart-figure", (figures) =>
        figures.map((figure) => {
          const shown = Array.from(figure.querySelectorAll("svg")).filter(
            (svg) => svg.getBoundingClientRect().width > 0,
          );
          const card = figure.closest(".card")!;
          const padding = getComputedStyle(card);
          const inner =
            card.clientWidth -
            Number.parseFloat(padding.paddingLeft) -
            Number.parseFloat(padding.paddingRight);
          // the font size on screen: the SVG's own (in its units) times its scale
          const texts = shown.flatMap((svg) =>
            Array.from(svg.querySelectorAll("text")).map(
              (text) =>
                (Number.parseFloat(getComputedStyle(text).fontSize) * svg.getBoundingClientRect().width) /
                svg.viewBox.baseVal.width,
            ),
          );
          return {
            id: shown[0]?.querySelector("title")?.id ?? "",
            shown: shown.length,
            chart: shown[0]?.getBoundingClientRect().width ?? 0,
            card: inner,
            smallestText: Math.min(...texts),
            largestText: Math.max(...texts),
          };
        }),
      );
      const messages = charts.find((c) => c.id.startsWith("chart-messages"));
      expect(messages, JSON.stringify(charts)).toBeDefined();
      expect(charts.length).toBeGreaterThanOrEqual(4);
      for (const chart of charts) {
        expect(chart.shown, chart.id).toBe(1);
        expect(chart.chart, chart.id).toBeGreaterThanOrEqual(chart.card - 2);
        expect(chart.smallestText, chart.id).toBeGreaterThanOrEqual(11.9);
        expect(chart.largestText, chart.id).toBeLessThanOrEqual(18.5);
      }
      // the table under the chart starts with today
      const firstDay = await page
        .locator("#messages-heading ~ .table-wrap tbody tr th time")
        .first()
        .getAttribute("datetime");
      const lastDay = await page
        .locator("#messages-heading ~ .table-wrap tbody tr th time")
        .last()
        .getAttribute("datetime");
      expect(firstDay! > lastDay!).toBe(true);
      expect(errors).toEqual([]);
      await page.context().close();
    },
    60_000,
  );
});

describe("customer tags on a laptop", () => {
  it("shows the tags in the list and on the profile, one line in the list", async () => {
    const { page, errors } = await openPage(browser, 1280, 800);
    await signIn(page, adminEmail);
    await page.goto(`${app.url}/console/customers`);
    await page.screenshot({ path: `${OUT}/1280-customers.png`, fullPage: true });
    const chips = page.locator("td .tag-list .tag");
    expect(await chips.count()).toBe(3);
    const tops = await chips.evaluateAll((tags) =>
      tags.map((tag) => Math.round(tag.getBoundingClientRect().top)),
    );
    expect(new Set(tops).size).toBe(1);
    await page.goto(`${app.url}/console/customers/${customerId}`);
    await page.screenshot({ path: `${OUT}/1280-customer.png`, fullPage: true });
    expect(await page.locator(".customer-tags [data-tag]").count()).toBe(3);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 60_000);
});

describe("editing a customer on a phone, in Polish", () => {
  it("names the refused field beside it and keeps the page within the screen", async () => {
    const email = uniqueEmail("phone-pl");
    await addStaff(database.db, email, "agent", { locale: "pl", name: "Agentka" });
    const { page, errors } = await openPage(browser, 360, 740);
    await signIn(page, email);
    await page.goto(`${app.url}/console/customers/${customerId}/edit`);
    await page.getByLabel("Strefa czasowa").fill("Mars/Olympus");
    await page.getByLabel("Telefon").fill("12");
    await page.getByRole("button", { name: "Zapisz zmiany" }).click();
    await page.locator("#edit-timezone-error").waitFor();
    await page.screenshot({ path: `${OUT}/360-customer-edit-errors-pl.png`, fullPage: true });
    expect(await page.locator("#edit-timezone-error").textContent()).toContain(
      "Nie znamy takiej strefy czasowej",
    );
    expect(await page.locator("#edit-phone-error").textContent()).toContain(
      "Nie umiemy odczytać tego numeru",
    );
    expect(await page.getByLabel("Strefa czasowa").getAttribute("aria-invalid")).toBe("true");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    // the 400 answer is the page itself: the browser reports it, nothing else went wrong
    expect(errors.filter((e) => !/\b400\b/.test(e))).toEqual([]);
    await page.context().close();
  }, 60_000);
});
