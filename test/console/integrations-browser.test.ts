import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, revokeApiToken } from "../../lib/api-tokens.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, PASSWORD, startConsole, uniqueEmail } from "./support.ts";

// The API tokens and webhooks pages in a real headless Chromium, on a laptop and a phone, in English and
// Polish: screenshots in test/artifacts/, and nothing wider than the screen.
const database = useTestDatabase();
let http: FastifyInstance;
let browser: Browser;
let base: string;
let subscriptionId: string;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  await http.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  mkdirSync("test/artifacts", { recursive: true });
  const db = database.db;
  const now = Date.now();
  const till = await createApiToken(db, {
    name: "Kasa sklepu (till)",
    scopes: ["events:write", "loyalty:write"],
    createdBy: "ayu@example.com",
    at: new Date(now - 9 * 86_400_000),
  });
  await db.apiToken.update({ where: { id: till.id }, data: { lastUsedAt: new Date(now - 3_600_000) } });
  const old = await createApiToken(db, {
    name: "Old phone system",
    scopes: ["customers:read", "calls:write"],
    createdBy: "cli:ops",
    at: new Date(now - 40 * 86_400_000),
  });
  await revokeApiToken(db, old.id, "cli:ops", new Date(now - 2 * 86_400_000));
  const erp = await db.webhookSubscription.create({
    data: {
      name: "ERP (orders)",
      url: "https://erp.toko-rapport.example.com/hooks/rapport/orders/incoming",
      events: ["purchase.created", "delivery.sent", "delivery.failed"],
      fields: ["orderId", "total", "currency", "items"],
      secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
      createdBy: "ayu@example.com",
    },
  });
  subscriptionId = erp.id;
  await db.webhookSubscription.create({
    data: {
      name: "Partner CRM",
      url: "https://crm.partner.example/webhooks",
      events: ["*"],
      fields: [],
      secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
      createdBy: "ayu@example.com",
      failingSince: new Date(now - 4 * 86_400_000),
      pausedAt: new Date(now - 86_400_000),
    },
  });
  const delivered = await db.webhookMessage.create({
    data: {
      subscriptionId: erp.id,
      msgId: "msg_0a1b2c3d4e5f60718293a4b5c6",
      type: "purchase.created",
      payload: { type: "purchase.created", data: {} },
      status: "delivered",
      attempts: 2,
      lastStatus: 200,
      createdAt: new Date(now - 7_200_000),
      deliveredAt: new Date(now - 7_190_000),
    },
  });
  await db.webhookAttempt.createMany({
    data: [
      {
        messageId: delivered.id,
        at: new Date(now - 7_200_000),
        status: 503,
        durationMs: 41,
        excerpt: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
      },
      { messageId: delivered.id, at: new Date(now - 7_190_000), status: 200, durationMs: 87, excerpt: "ok" },
    ],
  });
  const failed = await db.webhookMessage.create({
    data: {
      subscriptionId: erp.id,
      msgId: "msg_99aa88bb77cc66dd55ee44ff33",
      type: "delivery.failed",
      payload: { type: "delivery.failed", data: {} },
      status: "failed",
      attempts: 1,
      lastError: "fetch failed: connect ECONNREFUSED 10.0.0.7:443",
      createdAt: new Date(now - 600_000),
    },
  });
  await db.webhookAttempt.create({
    data: {
      messageId: failed.id,
      at: new Date(now - 600_000),
      status: null,
      durationMs: 3,
      error: "fetch failed: connect ECONNREFUSED 10.0.0.7:443",
    },
  });
});
afterAll(async () => {
  await browser?.close();
  await http?.close();
});

async function signInAs(page: Page, email: string, path: string): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}${path}`);
}

/** The page fits the screen's width (tables scroll inside their own box). */
async function fits(page: Page): Promise<void> {
  const wider = await page.evaluate(() =>
    Array.from(document.querySelectorAll("body *"))
      .filter(
        (e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-wrap, .nav"),
      )
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} "${e.textContent?.slice(0, 40)}"`),
  );
  expect(wider).toEqual([]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

describe("the API tokens and webhooks pages in a browser", () => {
  for (const locale of ["en", "pl"] as const) {
    for (const [width, height, device] of [
      [1280, 800, "laptop"],
      [360, 740, "phone"],
    ] as const) {
      it(`shows tokens and webhooks on a ${device} in ${locale}, and a new token once`, async () => {
        const email = uniqueEmail(`${locale}-${device}`);
        await addStaff(database.db, email, "admin", { locale, name: "Adi Admin" });
        const { page, errors } = await openPage(browser, width, height);
        await signInAs(page, email, "/console/tokens");
        expect(await page.getAttribute("html", "lang")).toBe(locale);
        await fits(page);
        await page.screenshot({
          path: `test/artifacts/console-tokens-${locale}-${width}.png`,
          fullPage: true,
        });

        await page.locator("#token-name").fill(`CRM ${device} ${locale}`);
        await page.locator('input[name="scopes"][value="customers:read"]').check();
        await page.locator('input[name="scopes"][value="calls:write"]').check();
        await page.locator('form[action="/console/tokens"] button[type="submit"]').click();
        await page.locator("[data-secret]").waitFor();
        const token = await page.locator("[data-secret]").textContent();
        expect(token).toMatch(/^rpt_[A-Za-z0-9_-]{43}$/);
        expect(page.url()).toBe(`${base}/console/tokens`);
        await fits(page);
        await page.screenshot({
          path: `test/artifacts/console-token-created-${locale}-${width}.png`,
          fullPage: true,
        });

        await page.goto(`${base}/console/webhooks`);
        await fits(page);
        await page.screenshot({
          path: `test/artifacts/console-webhooks-${locale}-${width}.png`,
          fullPage: true,
        });
        // pausing asks first (what happens while paused is not kept): the question opens in place
        await page.locator("summary.confirm-toggle-quiet").first().click();
        await page.locator('form[action$="/pause"] button').first().waitFor({ state: "visible" });
        await fits(page);
        await page.screenshot({
          path: `test/artifacts/console-webhooks-pause-${locale}-${width}.png`,
          fullPage: true,
        });
        await page.goto(`${base}/console/webhooks/${subscriptionId}`);
        await fits(page);
        await page.screenshot({
          path: `test/artifacts/console-webhook-messages-${locale}-${width}.png`,
          fullPage: true,
        });
        if (width === 1280) {
          await page.goto(`${base}/console/dashboard`);
          await page.locator("[data-paused-webhook]").waitFor();
          await page.screenshot({ path: `test/artifacts/console-dashboard-paused-webhook-${locale}.png` });
        }
        expect(errors).toEqual([]);
      });
    }
  }
});
