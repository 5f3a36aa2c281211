import { mkdirSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { Browser as Chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeResend, startFakeResend } from "../fakes/index.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { seedRunningSend, startSendConsole } from "./campaign-send-support.ts";
import { addStaff, PASSWORD, uniqueEmail } from "./support.ts";

/**
 * The campaign page during a running send in Chromium, at a laptop's and a phone's width: the progress is
 * visible and its numbers move by themselves (SSE) when the worker sends; "Send me a test" on the preview
 * page reaches the fake Resend. Screenshots in test/artifacts/.
 */
const database = useTestDatabase();
const redis = useTestRedis();
const ARTIFACTS = "test/artifacts";

let http: FastifyInstance;
let resend: FakeResend;
let chromium: Chromium;
let url: string;
let siti: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  resend = await startFakeResend({ rateLimit: Number.POSITIVE_INFINITY });
  http = await startSendConsole(database.db, redis, resend);
  siti = await seedRunningSend(database.db, new Date(Date.now() - 10 * 60_000));
  url = await http.listen({ port: 0, host: "127.0.0.1" });
  chromium = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await chromium?.close();
  await http?.close();
  await resend?.close();
});

describe("the campaign page in Chromium during a send", () => {
  for (const [width, height] of [
    [1280, 800],
    [360, 780],
  ] as const) {
    it(`shows the progress moving and sends a test at ${width} px`, async () => {
      // the send as it was seeded: 12 of 18 done, 3 queued
      await database.db.delivery.updateMany({
        where: { campaignId: "flash", key: { contains: "/moved-" } },
        data: { status: "queued", sentAt: null },
      });
      const email = uniqueEmail(`marketer-${width}`);
      await addStaff(database.db, email, "marketer");
      const { page, errors } = await openPage(chromium, width, height);
      await page.goto(`${url}/console/login?next=/console/campaigns/flash`);
      await page.locator("#login-email").fill(email);
      await page.locator("#login-password").fill(PASSWORD);
      await page.locator('form button[type="submit"]').click();
      await page.waitForURL(`${url}/console/campaigns/flash`);
      const state = page.locator("[data-send-state]");
      await expect.poll(() => state.textContent()).toBe("Sending: 12 of 18 messages done.");
      const sentEmail = page.locator('tr[data-channel="email"] td[data-status="sent"]');
      expect(await sentEmail.textContent()).toBe("5");
      expect(await page.locator(".send-bar").isVisible()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${ARTIFACTS}/campaign-send-${width}.png`, fullPage: true });
      await page
        .locator(".campaign-send")
        .screenshot({ path: `${ARTIFACTS}/campaign-send-section-${width}.png` });

      // the worker sends the two queued emails: the page follows without a reload
      const queued = await database.db.delivery.findMany({
        where: { campaignId: "flash", status: "queued", channel: "email" },
        select: { id: true, key: true },
      });
      expect(queued).toHaveLength(2);
      for (const row of queued)
        await database.db.delivery.update({
          where: { id: row.id },
          data: {
            status: "sent",
            sentAt: new Date(),
            key: row.key.includes("/moved-") ? row.key : `${row.key}/moved-`,
          },
        });
      await expect
        .poll(() => state.textContent(), { timeout: 10_000 })
        .toBe("Sending: 14 of 18 messages done.");
      expect(await sentEmail.textContent()).toBe("7");
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: `${ARTIFACTS}/campaign-send-moved-${width}.png`, fullPage: true });

      // "Send me a test" from the campaign page: the preview page, Siti, the button
      const before = resend.emails.length;
      await page.goto(`${url}/console/campaigns/flash/preview?customer=${siti}`);
      await page.getByRole("button", { name: "Send me this test" }).click();
      await expect
        .poll(() => page.getByRole("status").last().textContent())
        .toContain(`Test sent to ${email}.`);
      expect(resend.emails.length - before).toBe(1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.locator("#test").screenshot({ path: `${ARTIFACTS}/campaign-test-${width}.png` });
      expect(errors).toEqual([]);
      await page.context().close();
    }, 40_000);
  }
});
