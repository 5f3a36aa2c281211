import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
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

/** A spreadsheet export of `rows` customers (BOM, `;`, Polish headers), every 50th email broken. */
function spreadsheet(rows: number, tag: string): Buffer {
  const lines = ["\uFEFFNr klienta;Imię;Nazwisko;E-mail;Telefon;Miasto;Uwagi"];
  for (let i = 1; i <= rows; i++) {
    const email = i % 50 === 0 ? `klient${i}(at)${tag}` : `klient${i}@${tag}.example.com`;
    lines.push(
      `K-${tag}-${i};Zofia;Kowalska-${i};${email};60${String(i).padStart(7, "0")};Kraków;stała klientka`,
    );
  }
  return Buffer.from(`${lines.join("\r\n")}\r\n`, "utf8");
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [app, browser] = await Promise.all([
    startTestApp({ databaseUrl: database.url, redisUrl: redis.url, prefix: redis.prefix }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signIn(page: Page, email: string, button: string): Promise<void> {
  await page.goto(`${app.url}/console/login?next=/console/import`);
  await page.locator("#login-email").fill(email);
  await page.locator("#login-password").fill(PASSWORD);
  await page.getByRole("button", { name: button }).click();
  await page.waitForURL(`${app.url}/console/import`);
}

for (const { locale, width, height, rows } of [
  { locale: "en", width: 1280, height: 900, rows: 40_000 },
  { locale: "pl", width: 360, height: 780, rows: 400 },
] as const) {
  describe(`the import pages in ${locale} at ${width} px`, () => {
    it("uploads, previews, shows progress and the summary with the rejects link", async () => {
      const email = uniqueEmail(`marketer-${locale}`);
      await addStaff(app.db, email, "marketer", { locale, name: "Maria Marketer" });
      const { page, errors } = await openPage(browser, width, height);
      await signIn(page, email, "Sign in");
      const shot = async (name: string) => {
        // readable at this width: nothing but a table's own box scrolls sideways
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await page.screenshot({ path: `${ARTIFACTS}/import-${name}-${locale}-${width}.png`, fullPage: true });
      };
      await page.locator("#import-file").setInputFiles({
        name: `klienci-${locale}.csv`,
        mimeType: "text/csv",
        buffer: spreadsheet(rows, `${locale}-shop`),
      });
      await shot("upload");
      await page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click();
      await page.waitForURL(/\/console\/import\/[0-9a-f-]{36}\/preview$/);
      expect(await page.locator("[data-target]").allTextContents()).toHaveLength(7);
      await expect.poll(() => page.locator('[data-target="email"]').count()).toBe(1);
      await page.locator("#import-country").fill("PL");
      await page.locator("button[formaction]").click();
      await page.waitForLoadState("load");
      await expect.poll(() => page.locator("tr.is-rejected").count()).toBe(0);
      await shot("preview");
      await page.locator('form[action$="/start"] button[type="submit"]').first().click();
      await page.waitForURL(/\/console\/import\/[0-9a-f-]{36}$/);
      if (rows > 10_000) {
        // the bar moves while the job runs (heard over SSE, no reload)
        await page.waitForFunction(
          () =>
            Number(document.querySelector("progress")?.getAttribute("value") ?? 0) > 0 ||
            document.querySelector("[data-summary]") !== null,
          undefined,
          { timeout: 60_000 },
        );
        if ((await page.locator("[data-summary]").count()) === 0) await shot("progress");
      }
      await page.locator('[data-summary="read"]').waitFor({ timeout: 120_000 });
      expect(await page.locator('[data-summary="read"]').textContent()).toMatch(/\d/);
      await expect.poll(() => page.locator('a[href$="/rejects.csv"]').count()).toBe(1);
      await shot("summary");
      await page.goto(`${app.url}/console/import`);
      await shot("list");
      expect(errors).toEqual([]);
    }, 180_000);
  });
}
