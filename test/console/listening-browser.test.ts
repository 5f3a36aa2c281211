import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffUser } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { envFor, type FakeX, startFakeX, X_ROUTES } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { PASSWORD, uniqueEmail } from "./support.ts";

// The whole product as `rapport start` runs it (X listener with keywords, workers, console) against the fake
// X, driven by a PR agent in headless Chromium: a keyword hit appears on the listening desk live, the agent
// answers it publicly, X receives a reply to that post, and the desk marks it answered. At a laptop's width and
// at a phone's.
const ARTIFACTS = "test/artifacts";
const database = useTestDatabase();
const redis = useTestRedis();
let x: FakeX;
let app: TestApp;
let browser: Browser;
let email: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  x = await startFakeX();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    env: { ...envFor({ x }), X_KEYWORDS: "kopi senja", X_POLL_INTERVAL: "5" },
  });
  email = uniqueEmail("agent");
  const created = await createStaffUser(
    { db: app.db, clock: systemClock },
    { email, role: "agent", name: "Ayu Agent", password: PASSWORD },
    { type: "system" },
  );
  expect(created.kind).toBe("created");
  // the listener's first poll sets where it starts reading
  await waitFor("the first X search", () => x.callsTo(X_ROUTES.search).length > 0);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await x?.close();
});

async function signIn(page: Page, path: string): Promise<void> {
  await page.goto(`${app.url}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.url}${path}`);
}

describe("the listening desk in a browser", () => {
  for (const [width, height, who] of [
    [1280, 900, "budi_ngopi"],
    [360, 780, "sari_kopi"],
  ] as const) {
    it(`shows a keyword hit live and answers it publicly through X (${width} px)`, async () => {
      const { page, errors } = await openPage(browser, width, height);
      const streamOpen = page.waitForResponse((r) => r.url().endsWith("/console/events"));
      await signIn(page, "/console/listening");
      await streamOpen;

      const post = x.addSearchResult({ username: who, text: `Has anyone tried Kopi Senja? (${who})` });
      const hit = page.locator("[data-hit-id]", { hasText: `(${who})` });
      await hit.waitFor({ timeout: 20_000 }); // the next poll, then the live row
      await expect(hit.locator("[data-hit-status]").textContent()).resolves.toBe("New");
      await expect(hit.getByText("kopi senja", { exact: true }).count()).resolves.toBe(1);
      await page.screenshot({ path: `${ARTIFACTS}/listening-${width}.png`, fullPage: true });

      await hit.getByLabel("Your answer").fill(`Hi @${who}, it is back in stock!`);
      await hit.getByRole("button", { name: "Reply publicly" }).click();
      await page.waitForURL(/\/console\/listening#hit-/);
      const answered = page.locator("[data-hit-id]", { hasText: `(${who})` });
      await expect(answered.locator("[data-hit-status]").textContent()).resolves.toBe("Answered");

      const reply = await waitFor("the reply post", () =>
        x.callsTo(X_ROUTES.tweet).find((c) => JSON.stringify(c.body).includes(`@${who}`) && c.status >= 200),
      );
      expect(reply.body).toEqual({
        text: `Hi @${who}, it is back in stock!`,
        reply: { in_reply_to_tweet_id: post.id },
      });
      // nothing wider than the screen
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(overflow).toBeLessThanOrEqual(width);
      // an answered post keeps its reply box folded away
      await expect(answered.getByLabel("Your answer").isVisible()).resolves.toBe(false);
      await page.screenshot({ path: `${ARTIFACTS}/listening-${width}-answered.png`, fullPage: true });
      // the dashboard's card counts it
      await page.goto(`${app.url}/console/dashboard`);
      const card = page.locator("[data-listening-card]");
      await expect(
        card.locator("[data-listening-answered]").getAttribute("data-listening-answered"),
      ).resolves.not.toBe("0");
      await card.screenshot({ path: `${ARTIFACTS}/listening-dashboard-${width}.png` });
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(
        width,
      );
      // the authors' avatars are on X's image host, which a machine without internet cannot reach
      const ours = errors.filter((e) => !e.includes("net::ERR_NAME_NOT_RESOLVED"));
      expect(ours, ours.join("\n")).toEqual([]);
      await page.context().close();
    }, 60_000);
  }
});
