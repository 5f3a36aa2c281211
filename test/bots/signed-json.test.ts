import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerResendWebhook, registerShopWebhooks } from "../../bots/index.ts";
import { createTelegramBot } from "../../bots/telegram/bot.ts";
import { registerTelegramWebhook, TELEGRAM_SECRET_HEADER } from "../../bots/telegram/webhook.ts";
import { manualClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { hmacSha256 } from "../../lib/signature.ts";
import { type FakeTelegram, newWebhookSecret, startFakeTelegram, svixSignature } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";

// Every endpoint that reads a signed JSON body tells a sender who signed the right bytes but labelled them
// text/plain to send application/json (415), instead of "invalid signature", and stores nothing.
const SHOPIFY_SECRET = "shpss_test_0123456789abcdef";
const WOO_SECRET = "woo-secret-0123456789";
const TELEGRAM_SECRET = "rapport-telegram-hook_0123456789";
const RESEND_SECRET = newWebhookSecret();
const NOW = Date.UTC(2026, 10, 20, 12);
const fixture = (name: string) => readFileSync(new URL(`../fixtures/shop/${name}`, import.meta.url), "utf8");

const database = useTestDatabase();
const clock = manualClock(NOW);
const app = createHttpServer({ log: silentLogger });
let telegram: FakeTelegram;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  const bot = createTelegramBot({
    token: telegram.token,
    apiRoot: telegram.apiRoot,
    log: silentLogger,
    onMessage: async () => {},
  });
  registerTelegramWebhook(app, bot, { secretToken: TELEGRAM_SECRET, log: silentLogger });
  await registerShopWebhooks(app, {
    db: database.db,
    clock,
    onEvent: async () => {},
    shopifySecret: SHOPIFY_SECRET,
    wooCommerceSecret: WOO_SECRET,
  });
  await registerResendWebhook(app, { db: database.db, secret: RESEND_SECRET, clock, log: silentLogger });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await telegram?.close();
});

async function rowCounts() {
  const db = database.db;
  const counts = await Promise.all([db.customer.count(), db.event.count(), db.interaction.count()]);
  return counts;
}

const shopifyBody = fixture("shopify-order.json");
const wooBody = fixture("woocommerce-order.json");
const resendBody = JSON.stringify({
  type: "email.delivered",
  created_at: new Date(NOW).toISOString(),
  data: { email_id: "4ef9a417-02e9-4d39-ad75-9611e0fcc33c", created_at: new Date(NOW).toISOString() },
});
const endpoints: { name: string; url: string; body: string; headers: Record<string, string> }[] = [
  {
    name: "Shopify",
    url: "/webhooks/shopify",
    body: shopifyBody,
    headers: { "x-shopify-hmac-sha256": hmacSha256(SHOPIFY_SECRET, shopifyBody, "base64") },
  },
  {
    name: "WooCommerce",
    url: "/webhooks/woocommerce",
    body: wooBody,
    headers: { "x-wc-webhook-signature": hmacSha256(WOO_SECRET, wooBody, "base64") },
  },
  {
    name: "Telegram",
    url: "/webhooks/telegram",
    body: JSON.stringify({
      update_id: 1,
      message: { message_id: 1, date: 1, chat: { id: 5, type: "private" }, text: "hi" },
    }),
    headers: { [TELEGRAM_SECRET_HEADER]: TELEGRAM_SECRET },
  },
  {
    name: "Resend",
    url: "/webhooks/resend",
    body: resendBody,
    headers: {
      "svix-id": "msg_1",
      "svix-timestamp": String(NOW / 1000),
      "svix-signature": svixSignature(RESEND_SECRET, "msg_1", NOW / 1000, resendBody),
    },
  },
];

describe("a correctly signed body sent as text/plain", () => {
  for (const endpoint of endpoints) {
    it(`gets 415 'send application/json' from ${endpoint.name}, and stores nothing`, async () => {
      const before = await rowCounts();
      const response = await app.inject({
        method: "POST",
        url: endpoint.url,
        headers: { ...endpoint.headers, "content-type": "text/plain; charset=utf-8" },
        payload: endpoint.body,
      });
      expect(response.statusCode, response.body).toBe(415);
      expect(response.json()).toMatchObject({ error: "unsupported_media_type" });
      expect(response.json().message).toMatch(/^send application\/json/);
      expect(await rowCounts()).toEqual(before);
    });
  }

  it("still lets WooCommerce's unsigned form ping through with 200", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/webhooks/woocommerce",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "webhook_id=42",
    });
    expect(response.statusCode).toBe(200);
  });
});
