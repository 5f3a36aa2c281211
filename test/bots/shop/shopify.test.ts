import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PurchaseEvent } from "../../../bots/events.ts";
import { normalizeShopifyOrder, verifyShopifyHmac } from "../../../bots/shop/shopify.ts";

const RAW = readFileSync(new URL("../../fixtures/shop/shopify-order.json", import.meta.url));
const SECRET = "shpss_test_client_secret_0123456789";

type Json = Record<string, unknown>;

function order(overrides: Json = {}): Json {
  return { ...(JSON.parse(RAW.toString("utf8")) as Json), ...overrides };
}

function customerOf(payload: Json) {
  const result = normalizeShopifyOrder(payload);
  if (result.kind !== "purchase") throw new Error(`expected a purchase, got ${JSON.stringify(result)}`);
  return result.event.customer;
}

function lines(payload: Json): Json[] {
  return payload["line_items"] as Json[];
}

describe("normalizeShopifyOrder", () => {
  it("maps the orders/paid fixture to the exact purchase event", () => {
    const result = normalizeShopifyOrder(order());
    expect(result).toStrictEqual({
      kind: "purchase",
      event: {
        type: "purchase",
        orderId: "shopify:5912345678901",
        occurredAt: "2026-11-20T14:32:03+01:00",
        customer: {
          email: "anna.nowak@example.com",
          externalId: "shopify:7412345678901",
          name: "Anna Nowak",
          locale: "pl-PL",
          phone: "+48601234567",
          country: "PL",
          // the customer's default address (then the shipping, then the billing one)
          address: {
            line1: "ul. Przykładowa 12",
            line2: "m. 4",
            city: "Kraków",
            postalCode: "30-001",
            country: "PL",
          },
          // the visit that placed the order: its first touch
          firstTouch: {
            at: "2026-11-20T14:32:03+01:00",
            landingPage: "/products/kubek-ceramiczny",
            medium: "web",
          },
        },
        total: "342.99",
        currency: "PLN",
        items: [
          { sku: "KUB-CER-350-GR", name: "Kubek ceramiczny - Granatowy", quantity: 2, price: "89.00" },
          { sku: "45012345678902", name: "Herbata liściasta Sencha", quantity: 1, price: "149.00" },
        ],
        properties: { shop: "shopify", orderName: "#1042", financialStatus: "paid", test: false },
      },
    });
    if (result.kind === "purchase") expect(PurchaseEvent.safeParse(result.event).success).toBe(true);
  });

  it("stores nothing for an order that names no customer (no email, phone or customer id), and says why", () => {
    const payload = order({
      email: null,
      contact_email: null,
      phone: null,
      customer: null,
      billing_address: null,
      shipping_address: null,
    });
    expect(normalizeShopifyOrder(payload)).toMatchObject({ kind: "skipped", reason: "no_customer" });
  });

  it("takes an order without email by the shop's customer id and the phone (a POS or phone order)", () => {
    const payload = order({
      email: null,
      contact_email: null,
      phone: "+48 601 234 567",
      customer: { id: 207119551, admin_graphql_api_id: "gid://shopify/Customer/207119551", email: null },
    });
    const result = normalizeShopifyOrder(payload);
    expect(result.kind).toBe("purchase");
    if (result.kind !== "purchase") return;
    expect(result.event.customer).toMatchObject({ externalId: "shopify:207119551", phone: "+48601234567" });
    expect(result.event.customer.email).toBeUndefined();
  });

  it("falls back to the customer's email when the order has none", () => {
    expect(customerOf(order({ email: "", contact_email: null })).email).toBe("anna.nowak@example.com");
  });

  it("uses the variant, then the product, then the line item id when the sku is empty", () => {
    const payload = order();
    const [first, second] = lines(payload) as [Json, Json];
    payload["line_items"] = [
      { ...first, sku: null, variant_id: null },
      second,
      {
        ...second,
        sku: "",
        variant_id: null,
        product_id: null,
        name: "Gift wrapping",
        title: "Gift wrapping",
      },
    ];
    const result = normalizeShopifyOrder(payload);
    expect(result.kind === "purchase" && result.event.items.map((item) => item.sku)).toEqual([
      "8512345678901",
      "45012345678902",
      "14812345678902",
    ]);
  });

  it("names an item by its title when it has no name", () => {
    const payload = order();
    payload["line_items"] = [{ ...lines(payload)[0], name: null }];
    const result = normalizeShopifyOrder(payload);
    expect(result.kind === "purchase" && result.event.items[0]?.name).toBe("Kubek ceramiczny");
  });

  it("drops phone numbers that are not E.164 and keeps the first one that is", () => {
    const national = { ...(order()["customer"] as Json), phone: "601 234 567" };
    expect(customerOf(order({ customer: national })).phone).toBeUndefined();
    const billing = { ...(order()["billing_address"] as Json), phone: "+48 (12) 345-67-89" };
    expect(customerOf(order({ customer: national, billing_address: billing })).phone).toBe("+48123456789");
    expect(customerOf(order({ phone: "555-555-SHIP" })).phone).toBe("+48601234567");
  });

  it("passes the customer locale through, and drops one that is not a language tag", () => {
    expect(customerOf(order({ customer_locale: "pl-PL" })).locale).toBe("pl-PL");
    expect(customerOf(order({ customer_locale: "en" })).locale).toBe("en");
    expect(customerOf(order({ customer_locale: "not a locale" })).locale).toBeUndefined();
  });

  it("waits for payment: pending and authorized orders are not purchases yet", () => {
    for (const status of ["pending", "authorized"]) {
      expect(normalizeShopifyOrder(order({ financial_status: status }))).toMatchObject({
        kind: "skipped",
        reason: "not_paid",
      });
    }
    expect(normalizeShopifyOrder(order({ financial_status: "partially_paid" })).kind).toBe("purchase");
  });

  it("skips cancelled, voided and refunded orders", () => {
    const cancelled = order({ cancelled_at: "2026-11-21T09:00:00+01:00", cancel_reason: "customer" });
    expect(normalizeShopifyOrder(cancelled)).toMatchObject({ kind: "skipped", reason: "cancelled" });
    for (const status of ["voided", "refunded"]) {
      expect(normalizeShopifyOrder(order({ financial_status: status }))).toMatchObject({
        reason: "cancelled",
      });
    }
  });

  it("keeps test orders, flagged", () => {
    const result = normalizeShopifyOrder(order({ test: true }));
    expect(result.kind === "purchase" && result.event.properties).toMatchObject({ test: true });
  });

  it("takes the exact order id from admin_graphql_api_id when the number lost precision", () => {
    // 820982911946154508 is Shopify's sample id: JSON.parse turns it into 820982911946154500
    const payload = JSON.parse(
      JSON.stringify(order())
        .replace('"id":5912345678901', '"id":820982911946154508')
        .replace("gid://shopify/Order/5912345678901", "gid://shopify/Order/820982911946154508"),
    ) as Json;
    const result = normalizeShopifyOrder(payload);
    expect(result.kind === "purchase" && result.event.orderId).toBe("shopify:820982911946154508");
    expect(normalizeShopifyOrder({ ...payload, admin_graphql_api_id: null })).toMatchObject({
      kind: "invalid",
      issues: [{ path: "id" }],
    });
  });

  it("falls back to created_at when processed_at is missing", () => {
    const result = normalizeShopifyOrder(order({ processed_at: null }));
    expect(result.kind === "purchase" && result.event.occurredAt).toBe("2026-11-20T14:32:05+01:00");
  });

  it("reports the fields at fault in a body that is not an order", () => {
    const result = normalizeShopifyOrder(order({ total_price: undefined, line_items: "none" }));
    expect(result.kind).toBe("invalid");
    if (result.kind === "invalid") {
      expect(result.issues.map((issue) => issue.path)).toEqual(["total_price", "line_items"]);
      expect(result.message).toMatch(/^Shopify order: total_price: /);
    }
    expect(normalizeShopifyOrder("webhook_id=1")).toMatchObject({
      kind: "invalid",
      issues: [{ path: "(body)" }],
    });
  });

  it("reports a mapped amount the event refuses", () => {
    const result = normalizeShopifyOrder(order({ total_price: "-5.00" }));
    expect(result).toMatchObject({ kind: "invalid", issues: [{ path: "total" }] });
  });
});

describe("verifyShopifyHmac", () => {
  const header = createHmac("sha256", SECRET).update(RAW).digest("base64");

  it("accepts the base64 HMAC of the raw body", () => {
    expect(verifyShopifyHmac(SECRET, RAW, header)).toBe(true);
  });

  it("refuses a signature made with another secret", () => {
    const other = createHmac("sha256", "another-secret").update(RAW).digest("base64");
    expect(verifyShopifyHmac(SECRET, RAW, other)).toBe(false);
  });

  it("refuses a body changed after signing", () => {
    const tampered = Buffer.from(
      RAW.toString("utf8").replace('"total_price": "342.99"', '"total_price": "3.99"'),
    );
    expect(tampered.equals(RAW)).toBe(false);
    expect(verifyShopifyHmac(SECRET, tampered, header)).toBe(false);
  });

  it("refuses a missing or empty header, a hex digest and an empty secret", () => {
    expect(verifyShopifyHmac(SECRET, RAW, undefined)).toBe(false);
    expect(verifyShopifyHmac(SECRET, RAW, "")).toBe(false);
    expect(verifyShopifyHmac(SECRET, RAW, createHmac("sha256", SECRET).update(RAW).digest("hex"))).toBe(
      false,
    );
    expect(verifyShopifyHmac("", RAW, createHmac("sha256", "").update(RAW).digest("base64"))).toBe(false);
  });
});

describe("Shopify email marketing consent", () => {
  const withCustomer = (fields: Json) => {
    const payload = order();
    return order({ customer: { ...(payload["customer"] as Json), ...fields } });
  };

  it("maps subscribed to granted and unsubscribed to denied, at consent_updated_at, with the opt-in level", () => {
    const subscribed = customerOf(
      withCustomer({
        email_marketing_consent: {
          state: "subscribed",
          opt_in_level: "confirmed_opt_in",
          consent_updated_at: "2026-10-01T12:00:00+02:00",
        },
      }),
    );
    expect(subscribed.consent).toEqual({
      email: {
        status: "granted",
        source: "shopify",
        at: "2026-10-01T10:00:00.000Z",
        evidence: {
          field: "email_marketing_consent",
          state: "subscribed",
          opt_in_level: "confirmed_opt_in",
          order: "5912345678901",
        },
      },
    });
    const unsubscribed = customerOf(
      withCustomer({ email_marketing_consent: { state: "unsubscribed", consent_updated_at: null } }),
    );
    expect(unsubscribed.consent?.email?.status).toBe("denied");
    expect(
      PurchaseEvent.safeParse(normalized(withCustomer({ email_marketing_consent: { state: "subscribed" } })))
        .success,
    ).toBe(true);
  });

  it("says nothing for not_subscribed, pending or accepts_marketing false; accepts_marketing true is granted", () => {
    for (const state of ["not_subscribed", "pending", "redacted"]) {
      expect(customerOf(withCustomer({ email_marketing_consent: { state } })).consent).toBeUndefined();
    }
    expect(customerOf(withCustomer({ accepts_marketing: false })).consent).toBeUndefined();
    expect(customerOf(order()).consent).toBeUndefined();
    expect(
      customerOf(
        withCustomer({ accepts_marketing: true, accepts_marketing_updated_at: "2026-09-01T08:00:00Z" }),
      ).consent,
    ).toMatchObject({ email: { status: "granted", at: "2026-09-01T08:00:00.000Z" } });
  });
});

function normalized(payload: Json) {
  const result = normalizeShopifyOrder(payload);
  if (result.kind !== "purchase") throw new Error("expected a purchase");
  return result.event;
}
