import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventCaptureResult, mergeCustomers, registerShopWebhooks } from "../../bots/index.ts";
import { createVisitor, visitorCustomer } from "../../bots/webchat/visitors.ts";
import { systemClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { hmacSha256 } from "../../lib/signature.ts";
import { couponFor } from "../../workers/coupons.ts";
import { useTestDatabase } from "../support/db.ts";

const SHOPIFY_SECRET = "shpss_test_0123456789abcdef";
const WOO_SECRET = "woo-secret-0123456789";
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/shop/${name}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  >;

const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerShopWebhooks(app, {
    db: database.db,
    clock: systemClock,
    onEvent: async (_: EventCaptureResult) => {},
    shopifySecret: SHOPIFY_SECRET,
    wooCommerceSecret: WOO_SECRET,
  });
});
afterAll(() => app.close());

const postShopify = (order: Record<string, unknown>) => {
  const body = JSON.stringify(order);
  return app.inject({
    method: "POST",
    url: "/webhooks/shopify",
    headers: {
      "content-type": "application/json",
      "x-shopify-hmac-sha256": hmacSha256(SHOPIFY_SECRET, body, "base64"),
    },
    payload: body,
  });
};
const postWoo = (order: Record<string, unknown>) => {
  const body = JSON.stringify(order);
  return app.inject({
    method: "POST",
    url: "/webhooks/woocommerce",
    headers: {
      "content-type": "application/json",
      "x-wc-webhook-signature": hmacSha256(WOO_SECRET, body, "base64"),
    },
    payload: body,
  });
};

const touchOf = (customerId: string) => database.db.firstTouch.findUnique({ where: { customerId } });

describe("first touch", () => {
  it("a shop-first customer keeps the shop's first touch after opening the web chat", async () => {
    const order = {
      ...fixture("shopify-order.json"),
      id: 5912345678911,
      admin_graphql_api_id: "gid://shopify/Order/5912345678911",
      email: "first.touch@example.com",
      landing_site: "/products/kubek?utm_source=instagram&utm_medium=social&utm_campaign=winter",
      referring_site: "https://l.instagram.com/",
      source_name: "web",
    };
    expect((await postShopify(order)).statusCode).toBe(200);
    const shopper = await database.db.customer.findUniqueOrThrow({
      where: { email: "first.touch@example.com" },
    });
    expect(await touchOf(shopper.id)).toMatchObject({
      source: "instagram",
      medium: "social",
      campaign: "winter",
      referrer: "https://l.instagram.com/",
      landingPage: "/products/kubek?utm_source=instagram&utm_medium=social&utm_campaign=winter",
      via: "shopify",
      at: new Date("2026-11-20T13:32:03Z"),
    });
    // later the same person opens the web chat from a newsletter link and proves their email: one customer
    const visitor = await createVisitor(database.db, "pl", undefined, {
      landingPage: "https://shop.example.com/?utm_source=newsletter",
      referrer: "https://mail.example.com/",
    });
    const chat = (await visitorCustomer(database.db, visitor))!;
    expect((await touchOf(chat))?.source).toBe("newsletter");
    const merged = await mergeCustomers(database.db, shopper.id, chat, { reason: "test" });
    expect(merged.kind).toBe("merged");
    const survivor = merged.survivorId;
    expect(await touchOf(survivor)).toMatchObject({ source: "instagram", via: "shopify" });
    expect((await database.db.customer.findUniqueOrThrow({ where: { id: survivor } })).source).toBe(
      "instagram",
    );
    // a later order with other tags changes nothing: first touch is written once
    const again = {
      ...order,
      id: 5912345678912,
      admin_graphql_api_id: "gid://shopify/Order/5912345678912",
      landing_site: "/?utm_source=tiktok",
    };
    expect((await postShopify(again)).statusCode).toBe(200);
    expect((await touchOf(survivor))?.source).toBe("instagram");
  });

  it("a customer merged from two keeps the earliest first touch, whichever survives", async () => {
    const early = await database.db.customer.create({ data: { name: "early" } });
    const late = await database.db.customer.create({ data: { name: "late" } });
    await database.db.firstTouch.create({
      data: {
        customerId: early.id,
        source: "google",
        medium: "cpc",
        via: "events_api",
        at: new Date("2026-01-01T00:00:00Z"),
      },
    });
    await database.db.firstTouch.create({
      data: { customerId: late.id, source: "webchat", via: "webchat", at: new Date("2026-06-01T00:00:00Z") },
    });
    const merged = await mergeCustomers(database.db, late.id, early.id, { reason: "test" });
    const survivor = merged.survivorId;
    expect(await touchOf(survivor)).toMatchObject({
      source: "google",
      medium: "cpc",
      at: new Date("2026-01-01T00:00:00Z"),
    });
  });
});

describe("redemption", () => {
  it("a Shopify order's discount_codes mark the Rapport coupon redeemed by that order", async () => {
    const customer = await database.db.customer.create({ data: { name: "Redeemer" } });
    const code = await couponFor(database.db, {
      prefix: "WINBACK15",
      customerId: customer.id,
      campaignId: "win-back",
    });
    const order = {
      ...fixture("shopify-order.json"),
      id: 5912345678921,
      admin_graphql_api_id: "gid://shopify/Order/5912345678921",
      email: "redeemer@example.com",
      discount_codes: [{ code: code.toLowerCase(), amount: "12.00", type: "percentage" }],
    };
    expect((await postShopify(order)).statusCode).toBe(200);
    const coupon = await database.db.coupon.findUniqueOrThrow({ where: { code } });
    expect(coupon.redeemedAt).toEqual(new Date("2026-11-20T13:32:03Z"));
    expect(coupon.redeemedOrderId).toBe("shopify:5912345678921");
    const event = await database.db.event.findUniqueOrThrow({ where: { id: coupon.redeemedEventId! } });
    expect(event.externalId).toBe("shopify:5912345678921");
  });

  it("a WooCommerce order's coupon_lines mark the coupon redeemed; an unknown code changes nothing", async () => {
    const customer = await database.db.customer.create({ data: { name: "Woo redeemer" } });
    const code = await couponFor(database.db, {
      prefix: "PROMO10",
      customerId: customer.id,
      campaignId: "promo",
    });
    const order = {
      ...fixture("woocommerce-order.json"),
      id: 4901,
      coupon_lines: [
        { id: 1, code: code.toLowerCase() },
        { id: 2, code: "summer" },
      ],
    };
    expect((await postWoo(order)).statusCode).toBe(200);
    const coupon = await database.db.coupon.findUniqueOrThrow({ where: { code } });
    expect(coupon.redeemedOrderId).toBe("woocommerce:4901");
    expect(coupon.redeemedAt).not.toBeNull();
  });
});
