import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventCaptureResult } from "../../../bots/index.ts";
import { registerEventsApi } from "../../../bots/index.ts";
import { systemClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { signBody } from "../../../lib/signature.ts";
import { useTestDatabase } from "../../support/db.ts";

const SECRET = "test-secret-0123456789";
const database = useTestDatabase();
const accepted: EventCaptureResult[] = [];
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerEventsApi(app, {
    db: database.db,
    secret: SECRET,
    clock: systemClock,
    onEvent: async (result) => {
      accepted.push(result);
    },
  });
  await app.ready();
});
afterAll(() => app.close());

function purchase(orderId: string, overrides: Record<string, unknown> = {}) {
  return {
    type: "purchase",
    orderId,
    occurredAt: "2026-11-20T10:15:00+07:00",
    customer: { email: "Siti.Rahayu@Example.com", name: "Siti Rahayu", locale: "id-ID" },
    total: "445000",
    currency: "idr",
    items: [
      { sku: "BTK-12", name: "Kemeja batik", quantity: 1, price: 275000 },
      { sku: "KPI-03", name: "Kopi Gayo", quantity: 2, price: "85000" },
    ],
    ...overrides,
  };
}

function post(body: unknown, signature?: string) {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return app.inject({
    method: "POST",
    url: "/api/events",
    headers: {
      "content-type": "application/json",
      "x-rapport-signature": signature ?? signBody(SECRET, payload),
    },
    payload,
  });
}

describe("POST /api/events", () => {
  it("stores a signed purchase with its customer, lines and total", async () => {
    const response = await post(purchase("ORD-1001"));
    expect(response.statusCode).toBe(201);
    const { id, duplicate } = response.json();
    expect(duplicate).toBe(false);
    const event = await database.db.event.findUniqueOrThrow({
      where: { id },
      include: { purchases: true, customer: true },
    });
    expect(event).toMatchObject({ type: "purchase", externalId: "ORD-1001", currency: "IDR", source: "api" });
    expect(event.value?.toString()).toBe("445000");
    expect(event.occurredAt.toISOString()).toBe("2026-11-20T03:15:00.000Z");
    expect(event.purchases.map((p) => [p.sku, p.quantity, p.unitPrice.toString()])).toEqual([
      ["BTK-12", 1, "275000"],
      ["KPI-03", 2, "85000"],
    ]);
    expect(event.customer).toMatchObject({
      email: "siti.rahayu@example.com",
      name: "Siti Rahayu",
      locale: "id",
    });
    expect(event.customer.lastPurchaseAt?.toISOString()).toBe("2026-11-20T03:15:00.000Z");
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "email", externalId: "siti.rahayu@example.com" } },
    });
    expect(identity.customerId).toBe(event.customerId);
    expect(accepted.at(-1)).toEqual({ kind: "stored", eventId: id, customerId: event.customerId });
  });

  it("stores the same order id once, however often it is posted", async () => {
    const first = await post(purchase("ORD-2002"));
    const again = await Promise.all([post(purchase("ORD-2002")), post(purchase("ORD-2002"))]);
    expect(first.statusCode).toBe(201);
    for (const response of again) {
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ id: first.json().id, duplicate: true });
    }
    expect(await database.db.event.count({ where: { externalId: "ORD-2002" } })).toBe(1);
    expect(await database.db.purchase.count({ where: { event: { externalId: "ORD-2002" } } })).toBe(2);
  });

  it("keeps one customer for one email across orders", async () => {
    await post(purchase("ORD-3003", { customer: { email: "siti.rahayu@example.com" } }));
    expect(await database.db.customer.count({ where: { email: "siti.rahayu@example.com" } })).toBe(1);
  });

  it("refuses a bad signature with 401 and stores nothing", async () => {
    const before = await database.db.event.count();
    const body = JSON.stringify(purchase("ORD-4004"));
    for (const signature of [
      "",
      "sha256=00",
      signBody("another-secret-123456", body),
      signBody(SECRET, `${body} `),
    ]) {
      const response = await post(body, signature);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toBe("invalid_signature");
    }
    expect(await database.db.event.count()).toBe(before);
    expect(await database.db.customer.count({ where: { email: "siti.rahayu@example.com" } })).toBe(1);
  });

  it("refuses a malformed body with 400 naming the field, and stores nothing", async () => {
    const before = await database.db.event.count();
    const response = await post(
      purchase("ORD-5005", {
        customer: { email: "not-an-email" },
        items: [{ sku: "X", quantity: 0, price: 1 }],
      }),
    );
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe("invalid_body");
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(["customer.email", "items.0.quantity"]);
    expect(body.message).toContain("customer.email: expected an email address");
    expect(await database.db.event.count()).toBe(before);
  });

  it("refuses broken JSON with 400 even when correctly signed", async () => {
    const response = await post('{"type": "purchase", "orderId": ');
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/malformed JSON body/);
  });

  it("accepts other event types, idempotent by their id", async () => {
    const rating = {
      type: "rating",
      id: "rating-77",
      customer: { email: "jan@example.com" },
      value: 5,
      properties: { score: 5 },
    };
    expect((await post(rating)).statusCode).toBe(201);
    expect((await post(rating)).statusCode).toBe(200);
    expect(await database.db.event.count({ where: { type: "rating", externalId: "rating-77" } })).toBe(1);
  });
});
