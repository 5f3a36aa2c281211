import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PurchaseEvent } from "../../../bots/events.ts";
import {
  isWooCommercePing,
  normalizeWooCommerceOrder,
  verifyWooCommerceSignature,
} from "../../../bots/shop/woocommerce.ts";

const RAW = readFileSync(new URL("../../fixtures/shop/woocommerce-order.json", import.meta.url));
const SECRET = "wc-webhook-secret-0123456789";

type Json = Record<string, unknown>;

function order(overrides: Json = {}): Json {
  return { ...(JSON.parse(RAW.toString("utf8")) as Json), ...overrides };
}

function billing(overrides: Json): Json {
  return { ...(order()["billing"] as Json), ...overrides };
}

function customerOf(payload: Json) {
  const result = normalizeWooCommerceOrder(payload);
  if (result.kind !== "purchase") throw new Error(`expected a purchase, got ${JSON.stringify(result)}`);
  return result.event.customer;
}

describe("normalizeWooCommerceOrder", () => {
  it("maps the order.updated fixture to the exact purchase event", () => {
    const result = normalizeWooCommerceOrder(order());
    expect(result).toStrictEqual({
      kind: "purchase",
      event: {
        type: "purchase",
        orderId: "woocommerce:4817",
        occurredAt: "2026-11-20T10:15:00Z",
        customer: {
          email: "siti.rahayu@example.com",
          name: "Siti Rahayu",
          locale: "id",
          phone: "+6281234567890",
          country: "ID",
          // the shipping address (else the billing one); the empty address_2 is left out
          address: {
            line1: "Jl. Contoh No. 8",
            city: "Bandung",
            postalCode: "40115",
            region: "JB",
            country: "ID",
          },
        },
        total: "465000",
        currency: "IDR",
        items: [
          { sku: "BTK-12", name: "Kemeja Batik Parang", quantity: 1, price: "275000" },
          { sku: "93", name: "Kopi Gayo – 250 g", quantity: 2, price: "85000" },
        ],
        properties: { shop: "woocommerce", orderNumber: "4817", status: "processing" },
      },
    });
    if (result.kind === "purchase") expect(PurchaseEvent.safeParse(result.event).success).toBe(true);
  });

  it("answers the webhook ping as a no-op, whether raw or parsed", () => {
    for (const ping of ["webhook_id=12", Buffer.from("webhook_id=12"), { webhook_id: "12" }]) {
      expect(normalizeWooCommerceOrder(ping)).toMatchObject({ kind: "skipped", reason: "ping" });
    }
    expect(isWooCommercePing(Buffer.from("webhook_id=12"))).toBe(true);
    expect(isWooCommercePing(RAW)).toBe(false);
    expect(isWooCommercePing("webhook_id=12&total=1")).toBe(false);
  });

  it("stores nothing for a guest order that names no customer (no billing email or phone), and says why", () => {
    const guest = order({ customer_id: 0, billing: billing({ email: "", phone: "" }), shipping: null });
    expect(normalizeWooCommerceOrder(guest)).toMatchObject({ kind: "skipped", reason: "no_customer" });
  });

  it("takes an order without email by the store's customer id", () => {
    const result = normalizeWooCommerceOrder(order({ customer_id: 12, billing: billing({ email: "" }) }));
    expect(result.kind).toBe("purchase");
    if (result.kind === "purchase") expect(result.event.customer.externalId).toBe("woocommerce:12");
  });

  it("counts processing and completed orders only", () => {
    expect(normalizeWooCommerceOrder(order({ status: "completed" })).kind).toBe("purchase");
    for (const status of ["pending", "on-hold", "failed", "checkout-draft", "awaiting-shipment"]) {
      expect(normalizeWooCommerceOrder(order({ status }))).toMatchObject({
        kind: "skipped",
        reason: "not_paid",
      });
    }
    for (const status of ["cancelled", "refunded", "trash"]) {
      expect(normalizeWooCommerceOrder(order({ status }))).toMatchObject({
        kind: "skipped",
        reason: "cancelled",
      });
    }
  });

  it("uses the variation, then the product, then the line item id when the sku is empty", () => {
    const payload = order();
    const [first] = payload["line_items"] as [Json];
    payload["line_items"] = [
      { ...first, sku: "", variation_id: 23, product_id: 22 },
      { ...first, sku: null, variation_id: 0, product_id: 22 },
      { ...first, id: 3309, sku: "", variation_id: 0, product_id: 0 },
    ];
    const result = normalizeWooCommerceOrder(payload);
    expect(result.kind === "purchase" && result.event.items.map((item) => item.sku)).toEqual([
      "23",
      "22",
      "3309",
    ]);
  });

  it("writes a float price rounded to the currency's minor units, as the database keeps it", () => {
    const priced = (currency: string) => {
      const payload = order({ currency });
      const [first] = payload["line_items"] as [Json];
      payload["line_items"] = [{ ...first, price: 5.454545 }];
      const result = normalizeWooCommerceOrder(payload);
      return result.kind === "purchase" && result.event.items[0]?.price;
    };
    expect(priced("PLN")).toBe("5.45");
    expect(priced("IDR")).toBe("5");
  });

  it("drops phone numbers that are not E.164", () => {
    expect(customerOf(order({ billing: billing({ phone: "0812-3456-7890" }) })).phone).toBeUndefined();
    expect(customerOf(order({ billing: billing({ phone: "(555) 555-5555" }) })).phone).toBeUndefined();
  });

  it("passes a WPML order language through, and has no locale without one", () => {
    const tagged = order({ meta_data: [{ id: 1, key: "wpml_language", value: "pl-PL" }] });
    expect(customerOf(tagged).locale).toBe("pl-PL");
    expect(customerOf(order({ meta_data: [] })).locale).toBeUndefined();
  });

  it("reads date_created_gmt as UTC and leaves occurredAt out without it", () => {
    const withoutGmt = normalizeWooCommerceOrder(order({ date_created_gmt: null }));
    expect(withoutGmt.kind === "purchase" && "occurredAt" in withoutGmt.event).toBe(false);
  });

  it("reports the fields at fault in a body that is not an order", () => {
    const result = normalizeWooCommerceOrder(order({ id: "abc", total: undefined }));
    expect(result).toMatchObject({ kind: "invalid", issues: [{ path: "id" }, { path: "total" }] });
    expect(result.kind === "invalid" && result.message).toMatch(/^WooCommerce order: id: /);
  });
});

describe("verifyWooCommerceSignature", () => {
  const header = createHmac("sha256", SECRET).update(RAW).digest("base64");

  it("accepts the base64 HMAC of the raw body", () => {
    expect(verifyWooCommerceSignature(SECRET, RAW, header)).toBe(true);
  });

  it("refuses a signature made with another secret", () => {
    const other = createHmac("sha256", "another-secret").update(RAW).digest("base64");
    expect(verifyWooCommerceSignature(SECRET, RAW, other)).toBe(false);
  });

  it("refuses a body changed after signing", () => {
    const tampered = Buffer.from(RAW.toString("utf8").replace('"total": "465000"', '"total": "1000"'));
    expect(tampered.equals(RAW)).toBe(false);
    expect(verifyWooCommerceSignature(SECRET, tampered, header)).toBe(false);
  });

  it("refuses a missing header, as on the unsigned ping", () => {
    expect(verifyWooCommerceSignature(SECRET, Buffer.from("webhook_id=12"), undefined)).toBe(false);
    expect(verifyWooCommerceSignature(SECRET, RAW, "")).toBe(false);
  });
});
