import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerEventsApi } from "../../bots/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { signBody } from "../../lib/signature.ts";
import { useTestDatabase } from "../support/db.ts";

// Customers who are not an email address: POST /api/events names a customer by the shop's own id, an
// email or a phone (at least one), and the brand's own data is trusted for identity in that order.
const SECRET = "events-contact-secret-0123456789";
const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerEventsApi(app, {
    db: database.db,
    secret: SECRET,
    clock: manualClock(Date.UTC(2026, 10, 20, 12)),
    onEvent: async () => {},
  });
  await app.ready();
});
afterAll(() => app.close());

let orders = 0;
function post(customer: Record<string, unknown>) {
  orders += 1;
  const payload = JSON.stringify({
    type: "purchase",
    orderId: `C-${orders}`,
    occurredAt: "2026-11-20T10:00:00Z",
    customer,
    total: "45000",
    currency: "IDR",
    items: [{ sku: "KOPI", quantity: 1, price: "45000" }],
  });
  return app.inject({
    method: "POST",
    url: "/api/events",
    headers: { "content-type": "application/json", "x-rapport-signature": signBody(SECRET, payload) },
    payload,
  });
}

const customer = (id: string) => database.db.customer.findUniqueOrThrow({ where: { id } });

describe("POST /api/events: who the customer is", () => {
  it("takes a customer known by phone alone, and finds them again by it", async () => {
    const first = await post({ phone: "+6281234567890", name: "Budi" });
    expect(first.statusCode, first.body).toBe(201);
    const id = first.json().customerId;
    expect(await customer(id)).toMatchObject({ phone: "+6281234567890", email: null, name: "Budi" });
    const again = await post({ phone: "+6281234567890", externalId: "shopify:42" });
    expect(again.json().customerId).toBe(id);
    // the shop's id, free, is now theirs: it finds them even with no phone given
    expect((await customer(id)).externalId).toBe("shopify:42");
    expect((await post({ externalId: "shopify:42" })).json().customerId).toBe(id);
  });

  it("trusts the shop's own id before the email, and never moves an address another customer holds", async () => {
    const ewa = (await post({ email: "ewa@example.com", name: "Ewa" })).json().customerId;
    const jan = (await post({ externalId: "woo:7", name: "Jan" })).json().customerId;
    expect(jan).not.toBe(ewa);
    // the shop says customer 7 ordered, with Ewa's address typed in: it is Jan's order, Ewa keeps her email
    const order = await post({ externalId: "woo:7", email: "ewa@example.com" });
    expect(order.json().customerId).toBe(jan);
    expect((await customer(jan)).email).toBeNull();
    expect((await customer(ewa)).email).toBe("ewa@example.com");
    // a free address fills Jan's gap, with its email identity
    await post({ externalId: "woo:7", email: "jan@example.com" });
    expect((await customer(jan)).email).toBe("jan@example.com");
    expect(await database.db.identity.count({ where: { customerId: jan, channel: "email" } })).toBe(1);
  });

  it("refuses a customer with none of email, phone and externalId, and a double opt-in without an email", async () => {
    const before = await database.db.customer.count();
    const none = await post({ name: "Nobody" });
    expect(none.statusCode).toBe(400);
    expect(none.json().issues).toContainEqual({
      path: "customer.email",
      message: "expected at least one of email, phone (E.164) or externalId to tell who the customer is",
    });
    const optIn = await post({ phone: "+48601234567", consent: { email: { status: "requested" } } });
    expect(optIn.statusCode).toBe(400);
    expect(optIn.json().issues[0].path).toBe("customer.consent.email.status");
    expect(await database.db.customer.count()).toBe(before);
  });
});

describe("POST /api/events: the customer's postal address", () => {
  it("keeps the address a brand's system gives, and the newest one replaces it", async () => {
    const first = await post({
      email: "wanda@example.com",
      address: { line1: "ul. Długa 5", city: "Gdańsk", postalCode: "80-827", country: "pl", line2: "" },
    });
    expect(first.statusCode, first.body).toBe(201);
    const id = first.json().customerId as string;
    expect((await customer(id)).address).toEqual({
      line1: "ul. Długa 5",
      city: "Gdańsk",
      postalCode: "80-827",
      country: "PL",
    });
    // the country, unknown before, comes from the address
    expect((await customer(id)).country).toBe("PL");
    const moved = await post({ email: "wanda@example.com", address: { line1: "ul. Nowa 1", city: "Sopot" } });
    expect(moved.statusCode).toBe(201);
    expect((await customer(id)).address).toEqual({ line1: "ul. Nowa 1", city: "Sopot" });
  });

  it("refuses an address it cannot keep, naming the field, and stores nothing", async () => {
    const before = await database.db.customer.count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ line1: "ul. Krótka 2", country: "Polska" }, "customer.address.country"],
      [{ postalCode: "80-827" }, "customer.address"],
      [{ line1: "Jl. Merdeka 1", street: "x" }, "customer.address"],
      [{ line1: "x".repeat(201) }, "customer.address.line1"],
    ];
    for (const [address, field] of cases) {
      const response = await post({ email: "nobody@example.com", address });
      expect(response.statusCode, JSON.stringify(address)).toBe(400);
      expect(response.body).toContain(field);
    }
    expect(await database.db.customer.count()).toBe(before);
  });
});
