import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureEvent } from "../../bots/index.ts";
import { createApiToken, revokeApiToken } from "../../lib/api-tokens.ts";
import { rapport } from "../cli/run.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp;
let reader: string;
let writer: string;
let revoked: string;
let ola: string;
let merged: string;

beforeAll(async () => {
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    workers: false,
  });
  const db = database.db;
  reader = (
    await createApiToken(db, { name: "call centre", scopes: ["customers:read"], createdBy: "cli:test" })
  ).token;
  writer = (await createApiToken(db, { name: "shop", scopes: ["events:write"], createdBy: "cli:test" }))
    .token;
  const old = await createApiToken(db, { name: "old", scopes: ["customers:read"], createdBy: "cli:test" });
  await revokeApiToken(db, old.prefix, "cli:test", new Date());
  revoked = old.token;

  ola = (
    await captureEvent(
      db,
      {
        type: "purchase",
        orderId: "PL-7",
        occurredAt: "2026-11-20T10:00:00Z",
        customer: {
          email: "ola@example.com",
          name: "Ola",
          address: { line1: "ul. Długa 5", city: "Gdańsk", postalCode: "80-827", country: "PL" },
        },
        total: "59.00",
        currency: "PLN",
        items: [{ sku: "BEANS", name: "Beans 1 kg", quantity: 1, price: "59.00" }],
        properties: {},
      },
      new Date("2026-11-20T10:00:00Z"),
    )
  ).customerId;
  await db.customer.update({ where: { id: ola }, data: { phone: "+48601234567", externalId: "shop-7001" } });
  await db.identity.create({
    data: { channel: "telegram", externalId: "7001", handle: "ola_k", customerId: ola },
  });
  await db.conversation.create({ data: { customerId: ola, channel: "telegram", threadRef: "7001" } });
  // an older record of Ola's, merged into her: looking it up answers with her
  merged = (
    await db.customer.create({ data: { name: "Ola (old)", externalId: "shop-old-7", mergedIntoId: ola } })
  ).id;
  // someone who typed a phone number in a chat: a claim, which must never find them
  const typer = await db.customer.create({ data: { name: "Typer" } });
  await db.contactClaim.create({
    data: { customerId: typer.id, kind: "phone", value: "+48700100200", source: "chat_message" },
  });
}, 30_000);
afterAll(async () => {
  await app?.close();
});

/** A lookup with the call centre's token, another token, or none (null). */
const lookup = (query: string, token: string | null = reader) =>
  fetch(`${app.url}/api/customers/lookup?${query}`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

describe("GET /api/customers/lookup", () => {
  it("answers the customer panel with orders, lifetime value, identities and open conversations", async () => {
    const response = await lookup("email=Ola@Example.com");
    expect(response.status).toBe(200);
    const panel = await response.json();
    expect(panel.customer).toMatchObject({ id: ola, name: "Ola", phone: "+48601234567" });
    expect(panel.customer.address).toEqual({
      line1: "ul. Długa 5",
      city: "Gdańsk",
      postalCode: "80-827",
      country: "PL",
    });
    expect(panel.lifetime).toEqual([{ currency: "PLN", total: "59.00" }]);
    expect(panel.purchases).toHaveLength(1);
    expect(panel.purchases[0]).toMatchObject({ orderId: "PL-7", value: "59" });
    expect(panel.purchases[0].items).toHaveLength(1);
    expect(panel.purchases[0].items[0]).toMatchObject({ sku: "BEANS", quantity: 1 });
    expect(panel.identities.map((i: { channel: string }) => i.channel).sort()).toEqual(["email", "telegram"]);
    expect(panel.openConversations).toHaveLength(1);
    expect(panel.openConversations[0]).toMatchObject({ channel: "telegram", status: "open" });
  });

  it("finds by phone in E.164 or as a national number with its country, by handle, and by a merged id", async () => {
    for (const query of [
      "phone=%2B48601234567",
      "phone=601%20234%20567&country=PL",
      "handle=%40ola_k",
      "handle=OLA_K&channel=telegram",
      `id=${merged}`,
    ]) {
      const response = await lookup(query);
      expect(response.status, query).toBe(200);
      expect((await response.json()).customer.id, query).toBe(ola);
    }
  });

  it("finds by the shop's own customer id, exact once trimmed, and a merged one's as the survivor", async () => {
    for (const query of ["externalId=shop-7001", "externalId=%20shop-7001%20", "externalId=shop-old-7"]) {
      const response = await lookup(query);
      expect(response.status, query).toBe(200);
      expect((await response.json()).customer.id, query).toBe(ola);
    }
    for (const query of ["externalId=shop-7002", "externalId=SHOP-7001", "externalId=shop-700"]) {
      const response = await lookup(query);
      expect(response.status, query).toBe(404);
      expect(await response.json(), query).toEqual({
        error: "not_found",
        message: "no customer with that externalId",
      });
    }
  });

  it("finds a caller known only from their calls by the number the carrier presented", async () => {
    const caller = await database.db.customer.create({
      data: {
        name: "+48221112233",
        identities: { create: { channel: "phone", externalId: "+48221112233" } },
      },
    });
    const response = await lookup("phone=%2B48221112233");
    expect(response.status).toBe(200);
    expect((await response.json()).customer.id).toBe(caller.id);
  });

  it("never finds a customer by a contact they only claimed", async () => {
    const response = await lookup("phone=%2B48700100200");
    expect(response.status).toBe(404);
  });

  it("refuses without a token, with a revoked one, and with one lacking customers:read; audits each use", async () => {
    // refusals only: the audit rows of earlier tests' answers may still be landing
    const refused = { actorType: "token", data: { path: ["allowed"], equals: false } };
    const before = await database.db.auditLog.count({ where: refused });
    const none = await lookup("email=ola@example.com", null);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const old = await lookup("email=ola@example.com", revoked);
    expect(old.status).toBe(401);
    expect((await old.json()).message).toMatch(/revoked/);
    const wrong = await lookup("email=ola@example.com", writer);
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: "insufficient_scope" });
    expect(wrong.headers.get("www-authenticate")).toMatch(/scope="customers:read"/);
    // written once the answer is sent: polled for, not counted at once
    await waitFor("the three refusals' audit rows", async () => {
      return (await database.db.auditLog.count({ where: refused })) === before + 3;
    });
    const used = await waitFor("the call centre token's last use", () =>
      database.db.apiToken.findFirst({ where: { name: "call centre", lastUsedAt: { not: null } } }),
    );
    expect(used.lastUsedAt).not.toBeNull();
  });

  it("writes the audit row of every use after answering, twenty at once included", async () => {
    const token = await database.db.apiToken.findFirstOrThrow({ where: { name: "call centre" } });
    const mine = { actorType: "token", targetId: token.id, action: "api./api/customers/lookup" };
    const before = await database.db.auditLog.count({ where: mine });
    const answers = await Promise.all(Array.from({ length: 20 }, () => lookup("externalId=shop-7001")));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    await waitFor(
      "twenty audit rows",
      async () => (await database.db.auditLog.count({ where: mine })) === before + 20,
    );
    const row = await database.db.auditLog.findFirstOrThrow({ where: mine, orderBy: { createdAt: "desc" } });
    expect(row.data).toEqual({ method: "GET", scope: "customers:read", allowed: true });
  });

  it("answers 400 naming the field for a query it cannot use", async () => {
    for (const [query, field] of [
      ["", "(query)"],
      ["email=a@b.c&phone=%2B48601234567", "(query)"],
      ["phone=abc", "phone"],
      ["id=42", "id"],
      ["handle=x&channel=fax", "channel"],
      [`externalId=${"7".repeat(201)}`, "externalId"],
      ["externalId=shop%0A7001", "externalId"],
      ["externalId=shop-7001&email=ola%40example.com", "(query)"],
    ] as const) {
      const response = await lookup(query);
      expect(response.status, query).toBe(400);
      expect((await response.json()).issues[0].path, query).toBe(field);
    }
  });

  it("never answers 5xx to any query string", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom("id", "email", "phone", "handle", "externalId", "channel", "country", "x"),
          fc.string(),
          {
            maxKeys: 3,
          },
        ),
        async (query) => {
          const response = await lookup(new URLSearchParams(query).toString());
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60, seed: 14 },
    );
  });
});

describe("rapport tokens", () => {
  it("creates a token shown once that the API accepts, lists it, and refuses an unknown scope", async () => {
    const env = { DATABASE_URL: database.url };
    const created = await rapport(
      ["tokens", "create", "pos", "--scope", "customers:read"],
      process.cwd(),
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^rpt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/not shown again/);
    expect((await lookup("email=ola@example.com", token)).status).toBe(200);
    const row = await database.db.apiToken.findFirstOrThrow({ where: { name: "pos" } });
    expect(row.tokenHash).not.toContain(token.slice(4));
    const bad = await rapport(["tokens", "create", "x", "--scope", "everything"], process.cwd(), env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown scope everything: use customers:read/);
  });
});
