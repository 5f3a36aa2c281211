import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { addStaff, PASSWORD, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const ARTIFACTS = "test/artifacts";
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [app, browser] = await Promise.all([
    startTestApp({ databaseUrl: database.url, redisUrl: redis.url, prefix: redis.prefix }),
    launchBrowser(),
  ]);
  const customer = await app.db.customer.create({
    data: { name: "Zofia Wiśniewska-Kowalczyk", email: "zofia.wisniewska-kowalczyk@example.pl" },
  });
  await app.db.auditLog.createMany({
    data: [
      {
        actorType: "system",
        action: "import.start",
        data: { file: "klienci-2026-listopad-eksport-ze-sklepu.csv", rows: 12_400 },
      },
      {
        actorType: "staff",
        action: "customer.export",
        targetType: "Customer",
        targetId: customer.id,
        data: { format: "jsonl", reason: "the customer asked for their data by email" },
      },
      {
        actorType: "staff",
        action: "customer.merge",
        targetType: "Customer",
        targetId: customer.id,
        data: { mergedId: "6a1f9c2e-0d4b-4f8e-9a57-2c3d4e5f6a7b" },
      },
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

for (const { locale, width, height, button } of [
  { locale: "en", width: 1280, height: 800, button: "Filter" },
  { locale: "pl", width: 360, height: 780, button: "Filtruj" },
  { locale: "id", width: 360, height: 780, button: "Saring" },
] as const) {
  describe(`the audit log in ${locale} at ${width} px`, () => {
    it("shows the log, filters it by action, and fits the screen", async () => {
      const email = uniqueEmail(`admin-${locale}`);
      await addStaff(app.db, email, "admin", { locale, name: "Ada Admin" });
      const { page, errors } = await openPage(browser, width, height);
      await page.goto(`${app.url}/console/login?next=/console/audit`);
      await page.locator("#login-email").fill(email);
      await page.locator("#login-password").fill(PASSWORD);
      await page.locator('form button[type="submit"]').click();
      await page.waitForURL(`${app.url}/console/audit`);
      // this admin's own sign-in is in the log too
      await expect.poll(() => page.locator("[data-audit-id]").count()).toBeGreaterThanOrEqual(4);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${ARTIFACTS}/audit-${locale}-${width}.png`, fullPage: true });
      await page.locator("#audit-action").selectOption("customer.merge");
      await page.getByRole("button", { name: button }).click();
      await page.waitForURL(/action=customer\.merge/);
      expect(await page.locator("[data-audit-id]").count()).toBe(1);
      await page.screenshot({ path: `${ARTIFACTS}/audit-filtered-${locale}-${width}.png`, fullPage: true });
      expect(errors).toEqual([]);
    });
  });
}
