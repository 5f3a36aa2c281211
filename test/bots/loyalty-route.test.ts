import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerLoyaltyApi } from "../../bots/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { signBody } from "../../lib/signature.ts";
import { useTestDatabase } from "../support/db.ts";

const SECRET = "test-secret-0123456789";
const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });
const clock = manualClock(Date.parse("2026-12-04T10:00:00Z"));
let customerId: string;

beforeAll(async () => {
  await registerLoyaltyApi(app, { db: database.db, secret: SECRET, clock });
  await app.ready();
  const customer = await database.db.customer.create({ data: { email: "dewi@example.com" } });
  customerId = customer.id;
  await database.db.loyaltyEntry.create({
    data: { customerId, points: 500, reason: "earn", createdAt: new Date(clock.now()) },
  });
  await database.db.customer.update({ where: { id: customerId }, data: { loyaltyPoints: 500 } });
});
afterAll(() => app.close());

function post(body: unknown, signature?: string) {
  const payload = typeof body === "string" ? body : JSON.stringify(body);
  return app.inject({
    method: "POST",
    url: "/api/loyalty/redeem",
    headers: {
      "content-type": "application/json",
      "x-rapport-signature": signature ?? signBody(SECRET, payload),
    },
    payload,
  });
}

const redeems = () => database.db.loyaltyEntry.findMany({ where: { customerId, reason: "redeem" } });
const balance = async () =>
  (await database.db.customer.findUniqueOrThrow({ where: { id: customerId } })).loyaltyPoints;

describe("POST /api/loyalty/redeem", () => {
  it("spends the points once per ref, by email or by id", async () => {
    const first = await post({ customer: { email: "Dewi@Example.com" }, points: 200, ref: "ORD-77" });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ customerId, balance: 300, duplicate: false });
    const again = await post({ customer: { id: customerId }, points: 200, ref: "ORD-77" });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, balance: 300, duplicate: true });
    expect(await redeems()).toHaveLength(1);
    expect(await balance()).toBe(300);
  });

  it("answers 422 with the balance when the points are too few, and spends nothing", async () => {
    const response = await post({ customer: { email: "dewi@example.com" }, points: 301, ref: "ORD-78" });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ error: "insufficient_points", balance: 300 });
    expect(await balance()).toBe(300);
    expect(await redeems()).toHaveLength(1);
  });

  it("answers 409 for a ref another customer used, 404 for an unknown customer", async () => {
    const other = await database.db.customer.create({
      data: { email: "other@example.com", loyaltyPoints: 0 },
    });
    const taken = await post({ customer: { id: other.id }, points: 1, ref: "ORD-77" });
    expect(taken.statusCode).toBe(409);
    const unknown = await post({ customer: { email: "nobody@example.com" }, points: 1, ref: "ORD-79" });
    expect(unknown.statusCode).toBe(404);
  });

  it("answers 401 to a bad signature and 400 naming the field to a bad body, never 5xx", async () => {
    expect((await post({ customer: { id: customerId }, points: 1, ref: "X" }, "sha256=00")).statusCode).toBe(
      401,
    );
    const bodies: Array<[unknown, string]> = [
      [{ customer: { email: "dewi@example.com" }, points: 0, ref: "A" }, "points"],
      [{ customer: { email: "dewi@example.com" }, points: 1.5, ref: "A" }, "points"],
      [{ customer: { email: "dewi@example.com" }, points: "10", ref: "A" }, "points"],
      [{ customer: {}, points: 1, ref: "A" }, "customer"],
      [{ customer: { email: "dewi@example.com", id: customerId }, points: 1, ref: "A" }, "customer"],
      [{ customer: { id: "not-a-uuid" }, points: 1, ref: "A" }, "customer.id"],
      [{ customer: { email: "dewi@example.com" }, points: 1 }, "ref"],
      [{ customer: { email: "dewi@example.com" }, points: 1, ref: "A", extra: true }, "(body)"],
      [[1, 2], "(body)"],
      ["null", "(body)"],
    ];
    expect(bodies).toHaveLength(10);
    for (const [body, path] of bodies) {
      const response = await post(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    const broken = await post("{not json");
    expect(broken.statusCode).toBe(400);
    expect(await balance()).toBe(300);
  });
});
