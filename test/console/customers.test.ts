import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordConsent } from "../../bots/consent.ts";
import { type ConsoleDeps, registerConsole } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let agent: Browser;
let marketer: Browser;
let agentId: string;
let anna: string;
let annaB: string;
let budi: string;
let annaConversation: string;
let annaBConversation: string;

/** The console as `rapport start` serves it, with extra dependencies. */
async function startCustomersConsole(db: Db, extra: Partial<ConsoleDeps> = {}): Promise<FastifyInstance> {
  const app = createHttpServer({ log: silentLogger });
  await registerConsole(app, {
    db,
    clock: systemClock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Toko Rapport",
    ...extra,
  });
  await app.ready();
  return app;
}

const at = (iso: string) => new Date(iso);

/** An attribute value as the browser reads it. */
const decodeEntities = (html: string) =>
  html
    .replace(/&amp;/g, "&")
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)));

/** A customer with an identity, one order (two lines), a rating, a conversation and a campaign message. */
async function customerWithHistory(input: {
  name: string;
  email: string;
  phone: string;
  channel: "telegram" | "discord";
  externalId: string;
  handle: string;
  order: string;
  sku: string;
  total: string;
  campaign: string;
}): Promise<{ id: string; conversationId: string }> {
  const db = database.db;
  const customer = await db.customer.create({
    data: {
      name: input.name,
      email: input.email,
      phone: input.phone,
      locale: "pl",
      timezone: "Europe/Warsaw",
      address: {
        line1: `ul. ${input.sku} 7`,
        line2: "m. 2",
        city: "Kraków",
        postalCode: "30-001",
        country: "PL",
      },
      source: `src-${input.order}`,
      consent: { email: { status: "granted", at: "2026-01-02T10:00:00.000Z", via: "checkout" } },
      identities: { create: { channel: input.channel, externalId: input.externalId, handle: input.handle } },
    },
  });
  const event = await db.event.create({
    data: {
      customerId: customer.id,
      type: "purchase",
      externalId: input.order,
      value: new Prisma.Decimal(input.total),
      currency: "PLN",
      occurredAt: at("2026-10-01T10:00:00Z"),
      purchases: {
        create: [
          {
            customerId: customer.id,
            sku: input.sku,
            name: `Item ${input.sku}`,
            quantity: 2,
            unitPrice: new Prisma.Decimal("50.00"),
            currency: "PLN",
            occurredAt: at("2026-10-01T10:00:00Z"),
          },
        ],
      },
    },
  });
  await db.event.create({
    data: {
      customerId: customer.id,
      type: "rating",
      externalId: `rating-${input.order}`,
      value: 5,
      occurredAt: at("2026-10-02T10:00:00Z"),
    },
  });
  const conversation = await db.conversation.create({
    data: {
      customerId: customer.id,
      channel: input.channel,
      interactions: {
        create: {
          customerId: customer.id,
          channel: input.channel,
          direction: "inbound",
          author: "customer",
          externalId: `msg-${input.order}`,
          text: `Hello from ${input.name}`,
          sentAt: at("2026-10-03T10:00:00Z"),
        },
      },
    },
  });
  await db.campaign.upsert({
    where: { id: input.campaign },
    create: { id: input.campaign, name: `Campaign ${input.campaign}` },
    update: {},
  });
  await db.delivery.create({
    data: {
      key: `d/${input.campaign}/main/${customer.id}/0`,
      campaignId: input.campaign,
      step: "main",
      customerId: customer.id,
      channel: "email",
      status: "sent",
      sentAt: at("2026-10-04T10:00:00Z"),
      convertedAt: at("2026-10-05T10:00:00Z"),
      conversionEventId: event.id,
      revenue: new Prisma.Decimal(input.total),
    },
  });
  await db.coupon.create({ data: { code: `CODE-${input.order}`, prefix: "CODE", customerId: customer.id } });
  await db.suppression.create({
    data: { channel: "email", address: input.email, customerId: customer.id, reason: "unsubscribed" },
  });
  return { id: customer.id, conversationId: conversation.id };
}

beforeAll(async () => {
  http = await startCustomersConsole(database.db);
  const agentEmail = uniqueEmail("agent");
  const marketerEmail = uniqueEmail("marketer");
  agentId = await addStaff(database.db, agentEmail, "agent");
  await addStaff(database.db, marketerEmail, "marketer");
  [agent, marketer] = await Promise.all([signIn(http, agentEmail), signIn(http, marketerEmail)]);
  const a = await customerWithHistory({
    name: "Anna Kowalska",
    email: "anna.kowalska@example.com",
    phone: "+48601234567",
    channel: "telegram",
    externalId: "700100200",
    handle: "anna_k",
    order: "ORDER-A1",
    sku: "MUG-A",
    total: "199.90",
    campaign: "camp-a",
  });
  const b = await customerWithHistory({
    name: "Anna Kowalczyk",
    email: "anna.kowalczyk@example.com",
    phone: "+48601234999",
    channel: "discord",
    externalId: "900800700",
    handle: "annak2",
    order: "ORDER-B1",
    sku: "SECRET-B",
    total: "49.00",
    campaign: "camp-b",
  });
  [anna, annaConversation, annaB, annaBConversation] = [a.id, a.conversationId, b.id, b.conversationId];
  budi = (
    await database.db.customer.create({
      data: {
        name: "Budi Santoso",
        email: "budi@example.co.id",
        phone: "+6281234567890",
        identities: { create: { channel: "telegram", externalId: "555000111", handle: "budis" } },
      },
    })
  ).id;
});
afterAll(async () => {
  await http.close();
});

/** The ids of the customers a list page links to, in order. */
const listed = (html: string) =>
  [...html.matchAll(/href="\/console\/customers\/([0-9a-f-]{36})"/g)].map((m) => m[1]);

const search = async (query: string) => {
  const page = await getPage(http, agent, `/console/customers?q=${encodeURIComponent(query)}`);
  expect(page.statusCode, page.body).toBe(200);
  return listed(page.body);
};

describe("customer search", () => {
  it("finds customers by the start of their name, in any usual case", async () => {
    expect(await search("anna")).toEqual(expect.arrayContaining([anna, annaB]));
    expect(await search("Anna Kowalsk")).toEqual([anna]);
    expect(await search("ANNA KOWALCZ")).toEqual([annaB]);
    expect(await search("budi")).toEqual([budi]);
  });

  it("finds customers by email, phone, @handle, chat id and customer id", async () => {
    expect(await search("Anna.Kowalska@")).toEqual([anna]);
    expect(await search("+48 601 234 567")).toEqual([anna]);
    expect(await search("+48601234")).toEqual(expect.arrayContaining([anna, annaB]));
    expect(await search("48601234999")).toEqual([annaB]);
    expect(await search("@anna_k")).toEqual([anna]);
    expect(await search("ANNAK2")).toEqual([annaB]);
    expect(await search("700100")).toEqual([anna]);
    expect(await search("900800700")).toEqual([annaB]);
    expect(await search(budi.toUpperCase())).toEqual([budi]);
  });

  it("treats LIKE wildcards as text and says when nothing matches", async () => {
    expect(await search("%")).toEqual([]);
    expect(await search("_nna")).toEqual([]);
    const page = await getPage(http, agent, "/console/customers?q=zzz%3Cb%3E");
    expect(page.body).toContain("No customer matches “zzz&lt;b&gt;”");
  });

  it("pages newest first by keyset, without repeating or skipping anyone", async () => {
    const base = Date.parse("2025-01-01T00:00:00Z");
    const created = [];
    for (let i = 0; i < 30; i++) {
      created.push(
        (
          await database.db.customer.create({
            data: { name: `Pager ${i}`, createdAt: new Date(base + Math.floor(i / 2) * 1000) },
          })
        ).id,
      );
    }
    const first = await getPage(http, agent, "/console/customers?q=pager");
    const firstIds = listed(first.body);
    expect(firstIds).toHaveLength(25);
    const next = /href="([^"]+)" rel="next"/.exec(first.body)?.[1];
    expect(next).toBeDefined();
    const second = await getPage(http, agent, decodeEntities(next!));
    const secondIds = listed(second.body);
    expect(secondIds).toHaveLength(5);
    expect(second.body).not.toContain('rel="next"');
    expect(new Set([...firstIds, ...secondIds])).toEqual(new Set(created));
    // newest first: the two created last are on top
    expect(firstIds.slice(0, 2).sort()).toEqual(created.slice(28).sort());
  });

  it("is for admins and agents only", async () => {
    const page = await getPage(http, marketer, "/console/customers");
    expect(page.statusCode).toBe(403);
  });
});

describe("the customer profile", () => {
  it("shows this customer's contact, consent, orders, ratings, conversations and campaigns", async () => {
    const page = await getPage(http, agent, `/console/customers/${anna}`);
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toContain("<h1>Anna Kowalska</h1>");
    expect(body).toContain("anna.kowalska@example.com");
    expect(body).toContain("+48601234567");
    expect(body).toMatch(/Europe\/Warsaw · \d{1,2}:\d\d\s?[AP]M there now/);
    expect(body).toContain("<address data-address>ul. MUG-A 7<br>m. 2<br>30-001 Kraków<br>Poland</address>");
    expect(body).toContain("src-ORDER-A1");
    expect(body).toMatch(/pill-granted">Granted<\/span> <span class="muted">\(checkout\)/);
    expect(body).toContain("@anna_k");
    expect(body).toContain("<code>700100200</code>");
    expect(body).toContain("PLN\u00a0199.90");
    expect(body).toContain("Item MUG-A");
    expect(body).toContain("order ORDER-A1");
    expect(body).toContain("Average 5 out of 5 from 1 ratings.");
    expect(body).toContain(`href="/console/conversations/${annaConversation}"`);
    expect(body).toContain('href="/console/campaigns/camp-a">Campaign camp-a</a>');
    expect(body).toContain("anna.kowalska@example.com — unsubscribed");
  });

  it("never shows another customer's data, however similar", async () => {
    const pages = [
      [
        anna,
        annaB,
        ["anna.kowalczyk@example.com", "ORDER-B1", "SECRET-B", annaBConversation, "camp-b", "900800700"],
      ],
      [
        annaB,
        anna,
        ["anna.kowalska@example.com", "ORDER-A1", "MUG-A", annaConversation, "camp-a", "700100200"],
      ],
    ] as const;
    for (const [mine, theirs, secrets] of pages) {
      const page = await getPage(http, agent, `/console/customers/${mine}`);
      expect(page.statusCode).toBe(200);
      for (const secret of [...secrets, theirs]) expect(page.body, secret).not.toContain(secret);
    }
  });

  it("answers 404 for an unknown or malformed id and sends a merged-away record to the survivor", async () => {
    expect((await getPage(http, agent, "/console/customers/not-a-uuid")).statusCode).toBe(404);
    expect((await getPage(http, agent, `/console/customers/${crypto.randomUUID()}`)).statusCode).toBe(404);
    const gone = await database.db.customer.create({ data: { name: "Old record", mergedIntoId: budi } });
    const page = await getPage(http, agent, `/console/customers/${gone.id}`);
    expect(page.statusCode).toBe(302);
    expect(page.headers.location).toBe(`/console/customers/${budi}`);
  });
});

describe("consent history", () => {
  it("shows every change of consent on the profile and exports it with the customer, no one else's", async () => {
    const record = (customerId: string, status: "granted" | "denied", source: string, at: string) =>
      database.db.$transaction((tx) =>
        recordConsent(tx, {
          customerId,
          channel: "telegram",
          status,
          source,
          evidence: { messageId: `${source}-${customerId.slice(0, 4)}` },
          at: new Date(at),
        }),
      );
    await record(anna, "granted", "chat_start", "2026-03-01T10:00:00Z");
    await record(anna, "denied", "chat_stop", "2026-04-01T10:00:00Z");
    await record(annaB, "granted", "someone_else", "2026-03-01T10:00:00Z");
    const page = await getPage(http, agent, `/console/customers/${anna}`);
    expect(page.statusCode).toBe(200);
    const history = /<ul class="consent-history">([\s\S]*?)<\/ul>/.exec(page.body)?.[1] ?? "";
    const items = history.match(/<li>[\s\S]*?<\/li>/g) ?? [];
    expect(items).toHaveLength(2);
    expect(items[0]).toContain("denied (chat_stop)");
    expect(items[0]).toContain(`messageId: chat_stop-${anna.slice(0, 4)}`);
    expect(items[1]).toContain("granted (chat_start)");
    expect(page.body).not.toContain("someone_else");
    const response = await postForm(http, agent, `/console/customers/${anna}/export`, { _csrf: agent.csrf });
    expect(response.statusCode).toBe(200);
    const exported = response.json() as { consentEvents: Array<{ status: string; source: string }> };
    expect(exported.consentEvents.map((e) => [e.status, e.source])).toEqual([
      ["granted", "chat_start"],
      ["denied", "chat_stop"],
    ]);
  });
});

describe("staff recording consent", () => {
  it("records the customer's answer with the staff user and reason, lifts the opt-out, and audits it", async () => {
    const customer = await database.db.customer.create({ data: { email: "phone-call@example.com" } });
    await database.db.suppression.create({
      data: {
        channel: "email",
        address: "phone-call@example.com",
        customerId: customer.id,
        reason: "unsubscribed",
      },
    });
    const url = `/console/customers/${customer.id}/consent`;
    const count = () => database.db.consentEvent.count({ where: { customerId: customer.id } });
    // refused: no reason, an unknown status, no CSRF token; nothing written
    expect(
      (await postForm(http, agent, url, { _csrf: agent.csrf, channel: "email", status: "granted" }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await postForm(http, agent, url, {
          _csrf: agent.csrf,
          channel: "email",
          status: "maybe",
          reason: "on the phone",
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (await postForm(http, agent, url, { channel: "email", status: "granted", reason: "on the phone" }))
        .statusCode,
    ).toBeGreaterThanOrEqual(400);
    expect(await count()).toBe(0);
    const done = await postForm(http, agent, url, {
      _csrf: agent.csrf,
      channel: "email",
      status: "granted",
      reason: "asked on the phone, ticket 4411",
    });
    expect(done.statusCode).toBe(303);
    const events = await database.db.consentEvent.findMany({ where: { customerId: customer.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ channel: "email", status: "granted", source: "staff" });
    expect(events[0]!.evidence).toMatchObject({ reason: "asked on the phone, ticket 4411" });
    expect(await database.db.suppression.count({ where: { address: "phone-call@example.com" } })).toBe(0);
    const audit = await database.db.auditLog.findFirst({
      where: { action: "customer.consent", targetId: customer.id },
    });
    expect(audit?.data).toMatchObject({ channel: "email", status: "granted" });
  });
});

describe("exporting a customer's data", () => {
  it("downloads everything about them as JSON, nothing about anyone else, and audits it", async () => {
    const response = await postForm(http, agent, `/console/customers/${anna}/export`, { _csrf: agent.csrf });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.headers["content-disposition"]).toMatch(
      new RegExp(`^attachment; filename="customer-${anna}-\\d{4}-\\d\\d-\\d\\d\\.json"$`),
    );
    const data = JSON.parse(response.body);
    expect(data.format).toBe("rapport.customer-export/1");
    expect(data.customer).toMatchObject({
      id: anna,
      email: "anna.kowalska@example.com",
      name: "Anna Kowalska",
    });
    expect(data.identities).toEqual([
      expect.objectContaining({ channel: "telegram", externalId: "700100200" }),
    ]);
    expect(data.conversations).toHaveLength(1);
    expect(data.conversations[0].interactions[0].text).toBe("Hello from Anna Kowalska");
    const purchase = data.events.find((e: { type: string }) => e.type === "purchase");
    expect(purchase).toMatchObject({ externalId: "ORDER-A1", value: "199.9", currency: "PLN" });
    expect(purchase.purchases[0]).toMatchObject({ sku: "MUG-A", quantity: 2 });
    expect(data.events.map((e: { type: string }) => e.type).sort()).toEqual(["purchase", "rating"]);
    expect(data.deliveries).toEqual([expect.objectContaining({ campaignId: "camp-a", revenue: "199.9" })]);
    expect(data.coupons).toEqual([expect.objectContaining({ code: "CODE-ORDER-A1" })]);
    expect(data.suppressions).toEqual([expect.objectContaining({ address: "anna.kowalska@example.com" })]);
    expect(data.surveys).toEqual([]);
    for (const secret of ["anna.kowalczyk", "ORDER-B1", "SECRET-B", annaB, "camp-b"])
      expect(response.body, secret).not.toContain(secret);

    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "customer.export", targetId: anna },
    });
    expect(audit).toMatchObject({ staffUserId: agentId, targetType: "Customer" });
    expect(audit.data).toEqual({
      counts: expect.objectContaining({
        identities: 1,
        conversations: 1,
        interactions: 1,
        events: 2,
        deliveries: 1,
      }),
    });
    expect(JSON.stringify(audit.data)).not.toContain("anna.kowalska");
  });

  it("needs the CSRF token and is not for marketers", async () => {
    const noToken = await postForm(http, agent, `/console/customers/${anna}/export`, {});
    expect(noToken.statusCode).toBe(403);
    const byMarketer = await postForm(http, marketer, `/console/customers/${anna}/export`, {
      _csrf: marketer.csrf,
    });
    expect(byMarketer.statusCode).toBe(403);
  });
});

describe("the customers pages in Indonesian and Polish", () => {
  it("speak the staff member's language, with money and dates their way", async () => {
    const polish = uniqueEmail("pl");
    const indonesian = uniqueEmail("id");
    await addStaff(database.db, polish, "agent", { locale: "pl" });
    await addStaff(database.db, indonesian, "agent", { locale: "id" });
    const [pl, id] = await Promise.all([signIn(http, polish), signIn(http, indonesian)]);

    const plList = await getPage(http, pl, "/console/customers");
    expect(plList.body).toContain("<h1>Klienci</h1>");
    expect(plList.body).toContain('<label for="customer-search">Szukaj klientów</label>');
    const plProfile = await getPage(http, pl, `/console/customers/${anna}`);
    expect(plProfile.body).toContain("199,90\u00a0zł");
    expect(plProfile.body).toContain("Zamówienia i wartość klienta");
    expect(plProfile.body).toContain("<dt>Adres</dt>");
    expect(plProfile.body).toContain("30-001 Kraków<br>Polska</address>");
    expect(plProfile.body).toMatch(/1 paź 2026|1 października 2026/);

    const idList = await getPage(http, id, "/console/customers?q=zzz");
    expect(idList.body).toContain("<h1>Pelanggan</h1>");
    expect(idList.body).toContain("Tidak ada pelanggan yang cocok dengan “zzz”");
    const idProfile = await getPage(http, id, `/console/customers/${anna}`);
    expect(idProfile.body).toContain("PLN\u00a0199,90");
    expect(idProfile.body).toContain("Pesanan dan nilai seumur hidup");
    expect(idProfile.body).toContain("<dt>Alamat</dt>");
  });
});
