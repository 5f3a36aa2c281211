import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerEventsApi } from "../../bots/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { signBody } from "../../lib/signature.ts";
import { useTestDatabase } from "../support/db.ts";
import { refuseRows } from "../support/refuse-rows.ts";

// What POST /api/events refuses, and that a refusal writes nothing: not the event, not a new customer.
const SECRET = "events-input-secret-0123456789";
const NOW = Date.UTC(2026, 10, 20, 12);
const database = useTestDatabase();
const clock = manualClock(NOW);
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerEventsApi(app, { db: database.db, secret: SECRET, clock, onEvent: async () => {} });
  await app.ready();
});
afterAll(() => app.close());

let orders = 0;
function purchase(overrides: Record<string, unknown> = {}) {
  orders += 1;
  return {
    type: "purchase",
    orderId: `IN-${orders}`,
    occurredAt: "2026-11-20T10:15:00+07:00",
    customer: { email: `buyer-${orders}@example.com`, name: "Ewa Nowak" },
    total: "199.99",
    currency: "PLN",
    items: [{ sku: "MUG-1", name: "Kubek", quantity: 1, price: "199.99" }],
    ...overrides,
  };
}

function post(body: unknown, contentType = "application/json") {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return app.inject({
    method: "POST",
    url: "/api/events",
    headers: { "content-type": contentType, "x-rapport-signature": signBody(SECRET, payload) },
    payload,
  });
}

async function rowCounts() {
  const db = database.db;
  const [customers, identities, events, purchases] = await Promise.all([
    db.customer.count(),
    db.identity.count(),
    db.event.count(),
    db.purchase.count(),
  ]);
  return { customers, identities, events, purchases };
}

/** Posts a body that must be refused with 400 naming `path`, and checks that no row of any kind appeared. */
async function expectRefused(body: unknown, path: string, message?: RegExp) {
  const before = await rowCounts();
  const response = await post(body);
  expect(response.statusCode, response.body).toBe(400);
  const answer = response.json();
  expect(answer.error).toBe("invalid_body");
  const issue = answer.issues?.find((i: { path: string }) => i.path === path);
  expect(issue, response.body).toBeDefined();
  if (message) expect(issue.message).toMatch(message);
  expect(await rowCounts()).toEqual(before);
  return answer;
}

describe("POST /api/events refuses what it cannot store exactly, and writes nothing", () => {
  it("an amount beyond the column's 12 integer digits, as a string or a number", async () => {
    await expectRefused(purchase({ total: "99999999999999999999" }), "total", /999999999999\.99/);
    await expectRefused(purchase({ total: 1e21 }), "total");
    const items = [{ sku: "X", quantity: 1, price: "1000000000000" }];
    await expectRefused(purchase({ items }), "items.0.price");
    expect((await post(purchase({ total: "999999999999.99" }))).statusCode).toBe(201);
  });

  it("more decimals than the currency has, instead of rounding them away", async () => {
    await expectRefused(purchase({ total: "10.0049" }), "total", /at most 2 decimal places/);
    await expectRefused(purchase({ total: 10.005 }), "total");
    await expectRefused(
      purchase({ currency: "JPY", total: "1200.5", items: [] }),
      "total",
      /JPY has no minor units/,
    );
    await expectRefused(purchase({ items: [{ sku: "A", quantity: 1, price: "1.999" }] }), "items.0.price");
    await expectRefused(
      { type: "refund", customer: { email: "r@example.com" }, value: "5.5", currency: "IDR" },
      "value",
    );
    const zeros = await post(purchase({ currency: "JPY", total: "1200.00", items: [] }));
    expect(zeros.statusCode, zeros.body).toBe(201);
    const event = await database.db.event.findUniqueOrThrow({ where: { id: zeros.json().id } });
    expect(event.value?.toString()).toBe("1200");
  });

  it("a currency code the runtime does not know", async () => {
    await expectRefused(purchase({ currency: "XYZ" }), "currency", /not a currency this server knows/);
  });

  it("a quantity beyond int4", async () => {
    const items = [{ sku: "A", quantity: 2_147_483_648, price: "1" }];
    await expectRefused(purchase({ items }), "items.0.quantity");
  });

  it("an occurredAt more than a day ahead of the clock, or before 1970", async () => {
    const inTwoDays = new Date(NOW + 2 * 86_400_000).toISOString();
    const answer = await expectRefused(purchase({ occurredAt: inTwoDays }), "occurredAt", /a day from now/);
    expect(answer.message).toMatch(/^occurredAt: /);
    await expectRefused(purchase({ occurredAt: "3000-01-01T00:00:00Z" }), "occurredAt");
    await expectRefused(purchase({ occurredAt: "0000-01-01T00:00:00Z" }), "occurredAt", /after 1970/);
    const soon = await post(purchase({ occurredAt: new Date(NOW + 23 * 3_600_000).toISOString() }));
    expect(soon.statusCode, soon.body).toBe(201);
  });

  it("properties nested 100 000 deep, or deeper than 32 levels, or with too many keys", async () => {
    const before = await rowCounts();
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    const body = JSON.stringify(purchase({ properties: "DEEP" })).replace('"DEEP"', deep);
    const response = await post(body);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().message).toMatch(/nested deeper than/);
    expect(await rowCounts()).toEqual(before);

    let nested: unknown = 1;
    for (let level = 0; level < 33; level++) nested = { a: nested };
    await expectRefused(
      purchase({ properties: nested }),
      "properties.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a",
      /32 levels/,
    );
    const wide = Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, i]));
    await expectRefused(purchase({ properties: wide }), "properties", /1000 keys/);
  });
});

describe("POST /api/events writes all of an event or none of it", () => {
  it("leaves no new customer behind when storing the event fails", async () => {
    const allow = await refuseRows(database.db, "Purchase", "sku", "REFUSED-SKU");
    try {
      const before = await rowCounts();
      const body = purchase({ items: [{ sku: "REFUSED-SKU", quantity: 1, price: "199.99" }] });
      const response = await post(body);
      expect(response.statusCode).toBe(500);
      expect(await rowCounts()).toEqual(before);
      expect(await database.db.customer.count({ where: { email: body.customer.email } })).toBe(0);
    } finally {
      await allow();
    }
  });

  it("makes one customer of two first orders of a new email at the same time", async () => {
    const customer = { email: "twice@example.com", name: "Jan Kowalski" };
    const answers = await Promise.all([post(purchase({ customer })), post(purchase({ customer }))]);
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201]);
    expect(await database.db.customer.count({ where: { email: customer.email } })).toBe(1);
    expect(await database.db.event.count({ where: { customer: { email: customer.email } } })).toBe(2);
  });
});

describe("POST /api/events stores text without what PostgreSQL refuses", () => {
  it("drops U+0000 and lone surrogates from names, ids and properties, keys included", async () => {
    const payload = JSON.stringify({
      type: "purchase",
      orderId: "NUL-\u0000-1",
      occurredAt: "2026-11-20T10:15:00Z",
      customer: { email: "nul@example.com", name: "Ewa\u0000 Nowak\ud800" },
      total: "10",
      currency: "PLN",
      items: [{ sku: "S\u0000KU", name: "Kub\udc00ek", price: "10" }],
      properties: { "no\u0000te": "a\u0000b", list: ["\ud83d", "\ud83d\ude00"], deep: { "\ud800k": "v" } },
    });
    expect(payload).toContain("\\u0000");
    const response = await post(payload);
    expect(response.statusCode, response.body).toBe(201);
    const event = await database.db.event.findUniqueOrThrow({
      where: { id: response.json().id },
      include: { customer: true, purchases: true },
    });
    expect(event.externalId).toBe("NUL--1");
    expect(event.customer.name).toBe("Ewa Nowak");
    expect(event.purchases.map((p) => [p.sku, p.name])).toEqual([["SKU", "Kubek"]]);
    expect(event.properties).toEqual({ note: "ab", list: ["", "😀"], deep: { k: "v" } });
  });
});

describe("POST /api/events content type", () => {
  it("answers a correctly signed text/plain body with 415 'send application/json', not 401", async () => {
    const before = await rowCounts();
    const response = await post(purchase(), "text/plain");
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ error: "unsupported_media_type" });
    expect(response.json().message).toMatch(/^send application\/json/);
    expect(await rowCounts()).toEqual(before);
  });
});

describe("POST /api/events customer.consent", () => {
  it("records each channel's answer as a ConsentEvent with the event as evidence, never dated ahead of now", async () => {
    const body = purchase({
      customer: {
        email: "consenting@example.com",
        consent: {
          email: { status: "granted", source: "checkout_form", evidence: { checkbox: "Send me offers" } },
          telegram: { status: "denied", at: "2027-01-01T00:00:00Z" },
        },
      },
    });
    const response = await post(body);
    expect(response.statusCode, response.body).toBe(201);
    const customer = await database.db.customer.findUniqueOrThrow({
      where: { email: "consenting@example.com" },
    });
    const events = await database.db.consentEvent.findMany({
      where: { customerId: customer.id },
      orderBy: { channel: "asc" },
    });
    expect(events.map((e) => [e.channel, e.status, e.source, e.at.toISOString()])).toEqual([
      ["telegram", "denied", "events_api", new Date(NOW).toISOString()],
      ["email", "granted", "checkout_form", "2026-11-20T03:15:00.000Z"],
    ]);
    expect(events[1]!.evidence).toEqual({ checkbox: "Send me offers", event: "purchase", id: body.orderId });
    expect(customer.consent).toMatchObject({ email: { status: "granted", via: "checkout_form" } });
  });

  it("refuses an unknown status or channel naming the field, writing nothing", async () => {
    await expectRefused(
      purchase({ customer: { email: "maybe@example.com", consent: { email: { status: "maybe" } } } }),
      "customer.consent.email.status",
      /granted or denied/,
    );
    await expectRefused(
      purchase({ customer: { email: "maybe@example.com", consent: { fax: { status: "granted" } } } }),
      "customer.consent",
      /telegram, discord, x, email, webchat/,
    );
    expect(
      await database.db.consentEvent.count({ where: { customer: { email: "maybe@example.com" } } }),
    ).toBe(0);
  });
});
