import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventCaptureResult, registerShopWebhooks } from "../../../bots/index.ts";
import { systemClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { hmacSha256 } from "../../../lib/signature.ts";
import { useTestDatabase } from "../../support/db.ts";

const SHOPIFY_SECRET = "shpss_test_0123456789abcdef";
const WOO_SECRET = "woo-secret-0123456789";
const shopifyOrder = readFileSync(new URL("../../fixtures/shop/shopify-order.json", import.meta.url), "utf8");
const wooOrder = readFileSync(new URL("../../fixtures/shop/woocommerce-order.json", import.meta.url), "utf8");

const database = useTestDatabase();
const accepted: EventCaptureResult[] = [];
const app = createHttpServer({ log: silentLogger });
const unconfigured = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  const onEvent = async (result: EventCaptureResult) => {
    accepted.push(result);
  };
  await registerShopWebhooks(app, {
    db: database.db,
    clock: systemClock,
    onEvent,
    shopifySecret: SHOPIFY_SECRET,
    wooCommerceSecret: WOO_SECRET,
  });
  await registerShopWebhooks(unconfigured, { db: database.db, clock: systemClock, onEvent });
});
afterAll(async () => {
  await app.close();
  await unconfigured.close();
});

const shopify = (body: string, signature = hmacSha256(SHOPIFY_SECRET, body, "base64")) =>
  app.inject({
    method: "POST",
    url: "/webhooks/shopify",
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": signature,
      "x-shopify-topic": "orders/create",
    },
    payload: body,
  });
const woo = (body: string, signature = hmacSha256(WOO_SECRET, body, "base64")) =>
  app.inject({
    method: "POST",
    url: "/webhooks/woocommerce",
    headers: {
      "content-type": "application/json",
      "x-wc-webhook-signature": signature,
      "x-wc-webhook-topic": "order.created",
    },
    payload: body,
  });

describe("POST /webhooks/shopify", () => {
  it("stores a paid Shopify order as a purchase of its customer, once", async () => {
    const first = await shopify(shopifyOrder);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ ok: true, duplicate: false });
    expect((await shopify(shopifyOrder)).json()).toMatchObject({ ok: true, duplicate: true });
    const event = await database.db.event.findUniqueOrThrow({
      where: { id: first.json().id },
      include: { customer: true, purchases: true },
    });
    expect(event).toMatchObject({
      type: "purchase",
      source: "shopify",
      externalId: "shopify:5912345678901",
      currency: "PLN",
    });
    expect(event.value?.toString()).toBe("342.99");
    expect(event.customer).toMatchObject({ email: "anna.nowak@example.com", locale: "pl" });
    expect(event.purchases.length).toBeGreaterThan(0);
    expect(accepted.filter((a) => a.eventId === event.id)).toHaveLength(2);
  });

  it("refuses a forged or tampered order with 401 and stores nothing", async () => {
    const before = await database.db.event.count();
    expect((await shopify(shopifyOrder, hmacSha256("wrong-secret", shopifyOrder, "base64"))).statusCode).toBe(
      401,
    );
    expect(
      (
        await shopify(
          shopifyOrder.replace("342.99", "1.00"),
          hmacSha256(SHOPIFY_SECRET, shopifyOrder, "base64"),
        )
      ).statusCode,
    ).toBe(401);
    expect(await database.db.event.count()).toBe(before);
  });

  it("answers 200 without storing an unpaid order, so Shopify keeps the webhook", async () => {
    const pending = JSON.stringify({
      ...JSON.parse(shopifyOrder),
      financial_status: "pending",
      admin_graphql_api_id: "gid://shopify/Order/1",
    });
    const response = await shopify(pending);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ skipped: "not_paid" });
    expect(await database.db.event.count({ where: { externalId: "shopify:1" } })).toBe(0);
  });

  it("answers 422 naming the field for a signed body that is not an order", async () => {
    const response = await shopify(JSON.stringify({ hello: "world" }));
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toBe("invalid_body");
  });
});

describe("POST /webhooks/woocommerce", () => {
  it("answers WooCommerce's unsigned ping with exactly 200", async () => {
    const response = await app.inject({
      method: "POST",
      url: "/webhooks/woocommerce",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: "webhook_id=17",
    });
    expect(response.statusCode).toBe(200);
  });

  it("stores a processing WooCommerce order as a purchase, once", async () => {
    const first = await woo(wooOrder);
    expect(first.statusCode).toBe(200);
    expect((await woo(wooOrder)).json()).toMatchObject({ duplicate: true });
    const event = await database.db.event.findUniqueOrThrow({
      where: { id: first.json().id },
      include: { customer: true },
    });
    expect(event).toMatchObject({ source: "woocommerce", externalId: "woocommerce:4817", currency: "IDR" });
    expect(event.value?.toString()).toBe("465000");
    expect(event.customer.email).toBe("siti.rahayu@example.com");
  });

  it("refuses a bad signature with 401", async () => {
    expect((await woo(wooOrder, "bm9wZQ==")).statusCode).toBe(401);
  });
});

it("answers 404 saying which variable enables a platform that is not configured", async () => {
  const response = await unconfigured.inject({
    method: "POST",
    url: "/webhooks/shopify",
    payload: shopifyOrder,
    headers: { "content-type": "application/json" },
  });
  expect(response.statusCode).toBe(404);
  expect(response.json().message).toContain("SHOPIFY_WEBHOOK_SECRET");
});
