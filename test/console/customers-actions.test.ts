import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeCustomers } from "../../bots/index.ts";
import { type ConsoleDeps, registerConsole } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let withoutMerge: FastifyInstance;
let admin: Browser;
let agent: Browser;
let adminId: string;
let adminEmail: string;

async function start(db: Db, extra: Partial<ConsoleDeps>): Promise<FastifyInstance> {
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

/** A customer with a Telegram identity, an order, a conversation with a message, a delivery and a coupon. */
async function customer(name: string, email: string, createdAt: Date, chatId: string): Promise<string> {
  const db = database.db;
  const row = await db.customer.create({
    data: {
      name,
      email,
      createdAt,
      identities: { create: { channel: "telegram", externalId: chatId, handle: name.toLowerCase() } },
    },
  });
  await db.event.create({
    data: {
      customerId: row.id,
      type: "purchase",
      externalId: `order-${chatId}`,
      value: new Prisma.Decimal("10.00"),
      currency: "EUR",
      occurredAt: createdAt,
      purchases: {
        create: {
          customerId: row.id,
          sku: `SKU-${chatId}`,
          unitPrice: new Prisma.Decimal("10.00"),
          currency: "EUR",
          occurredAt: createdAt,
        },
      },
    },
  });
  await db.conversation.create({
    data: {
      customerId: row.id,
      channel: "telegram",
      interactions: {
        create: {
          customerId: row.id,
          channel: "telegram",
          direction: "inbound",
          author: "customer",
          externalId: `m-${chatId}`,
          text: `hi from ${name}`,
          sentAt: createdAt,
        },
      },
    },
  });
  await db.delivery.create({
    data: { key: `d/x/main/${row.id}/0`, customerId: row.id, channel: "telegram", status: "sent" },
  });
  await db.coupon.create({ data: { code: `C-${chatId}`, prefix: `C${chatId}`, customerId: row.id } });
  await db.segmentMember.create({ data: { segment: "vip", customerId: row.id } });
  return row.id;
}

beforeAll(async () => {
  const staffUserIds = new Map<string, string>();
  http = await start(database.db, {
    mergeCustomers: async (survivorId, mergedId, staffUserId) => {
      staffUserIds.set(mergedId, staffUserId);
      return mergeCustomers(database.db, survivorId, mergedId, {
        reason: "staff",
        actorType: "staff",
        staffUserId,
      });
    },
  });
  withoutMerge = await start(database.db, {});
  adminEmail = uniqueEmail("admin");
  const agentEmail = uniqueEmail("agent");
  adminId = await addStaff(database.db, adminEmail, "admin");
  await addStaff(database.db, agentEmail, "agent");
  [admin, agent] = await Promise.all([signIn(http, adminEmail), signIn(http, agentEmail)]);
});
afterAll(async () => {
  await http.close();
  await withoutMerge.close();
});

describe("merging two customers", () => {
  it("shows both records and says which one is kept (the older)", async () => {
    const older = await customer("Olek", "olek@example.com", new Date("2025-01-01T00:00:00Z"), "1001");
    const newer = await customer(
      "Olek Shop",
      "olek.shop@example.com",
      new Date("2026-01-01T00:00:00Z"),
      "1002",
    );
    const picker = await getPage(http, admin, `/console/customers/${newer}/merge?q=olek`);
    expect(picker.statusCode).toBe(200);
    expect(picker.body).toContain(`href="/console/customers/${newer}/merge?other=${older}"`);
    expect(picker.body).not.toContain(`merge?other=${newer}"`);

    const page = await getPage(http, admin, `/console/customers/${newer}/merge?other=olek@example.com`);
    expect(page.statusCode).toBe(200);
    const kept = page.body.indexOf('<h3 id="merge-survivor">Kept</h3>');
    const moved = page.body.indexOf('<h3 id="merge-merged">Merged into it</h3>');
    expect(kept).toBeGreaterThan(0);
    expect(page.body.slice(kept, moved)).toContain("olek@example.com");
    expect(page.body.slice(moved)).toContain("olek.shop@example.com");
    expect(page.body).toContain(`<input type="hidden" name="other" value="${older}">`);
  });

  it("moves the newer record's rows to the older one, audited as the admin", async () => {
    const older = await customer("Maja", "maja@example.com", new Date("2025-02-01T00:00:00Z"), "2001");
    const newer = await customer("Maja W", "maja.w@example.com", new Date("2026-02-01T00:00:00Z"), "2002");
    const response = await postForm(http, admin, `/console/customers/${newer}/merge`, {
      other: older,
      _csrf: admin.csrf,
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/console/customers/${older}?merged=1`);
    const db = database.db;
    expect(await db.identity.count({ where: { customerId: older } })).toBe(2);
    expect(await db.event.count({ where: { customerId: older } })).toBe(2);
    expect(await db.conversation.count({ where: { customerId: older } })).toBe(2);
    expect(await db.interaction.count({ where: { customerId: newer } })).toBe(0);
    expect(await db.customer.findUniqueOrThrow({ where: { id: newer } })).toMatchObject({
      mergedIntoId: older,
    });
    const audit = await db.auditLog.findFirstOrThrow({
      where: { action: "customer.merge", targetId: older },
    });
    expect(audit).toMatchObject({
      actorType: "staff",
      staffUserId: adminId,
      data: { mergedId: newer, reason: "staff" },
    });
    const page = await getPage(http, admin, response.headers.location!);
    expect(page.body).toContain("The customers have been merged.");
    expect(page.body).toContain("@maja w"); // the merged record's identity now shows here
  });

  it("is admin-only and needs the CSRF token", async () => {
    const a = await customer("Ola", "ola@example.com", new Date("2025-03-01T00:00:00Z"), "3001");
    const b = await customer("Ola B", "ola.b@example.com", new Date("2026-03-01T00:00:00Z"), "3002");
    expect((await getPage(http, agent, `/console/customers/${b}/merge`)).statusCode).toBe(403);
    const byAgent = await postForm(http, agent, `/console/customers/${b}/merge`, {
      other: a,
      _csrf: agent.csrf,
    });
    expect(byAgent.statusCode).toBe(403);
    const noToken = await postForm(http, admin, `/console/customers/${b}/merge`, { other: a });
    expect(noToken.statusCode).toBe(403);
    expect(await database.db.identity.count({ where: { customerId: b } })).toBe(1);
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: b } })).toMatchObject({
      mergedIntoId: null,
    });
  });

  it("refuses the same customer twice, an unknown one, and says so when merging is not wired", async () => {
    const a = await customer("Ewa", "ewa@example.com", new Date("2025-04-01T00:00:00Z"), "4001");
    const b = await customer("Ewa B", "ewa.b@example.com", new Date("2026-04-01T00:00:00Z"), "4002");
    const same = await postForm(http, admin, `/console/customers/${a}/merge`, {
      other: a,
      _csrf: admin.csrf,
    });
    expect(same.statusCode).toBe(400);
    expect(same.body).toContain("That is the same customer.");
    const unknown = await postForm(http, admin, `/console/customers/${a}/merge`, {
      other: "nobody@example.com",
      _csrf: admin.csrf,
    });
    expect(unknown.statusCode).toBe(400);
    const otherAdmin = await signIn(withoutMerge, adminEmail);
    const unwired = await postForm(withoutMerge, otherAdmin, `/console/customers/${b}/merge`, {
      other: a,
      _csrf: otherAdmin.csrf,
    });
    expect(unwired.statusCode).toBe(503);
    expect(unwired.body).toContain("Merging is not available on this server.");
    expect(await database.db.customer.count({ where: { id: { in: [a, b] }, mergedIntoId: null } })).toBe(2);
  });
});

describe("erasing a customer", () => {
  it("asks for the email or id typed in and erases nothing on a mismatch", async () => {
    const id = await customer("Zofia", "zofia@example.com", new Date("2025-05-01T00:00:00Z"), "5001");
    const form = await getPage(http, admin, `/console/customers/${id}/erase`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(
      '<label for="erase-confirm">Type the customer&#x27;s email address or id to confirm</label>',
    );
    const wrong = await postForm(http, admin, `/console/customers/${id}/erase`, {
      confirm: "someone@example.com",
      _csrf: admin.csrf,
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain("That is not this customer&#x27;s email address or id. Nothing was erased.");
    const empty = await postForm(http, admin, `/console/customers/${id}/erase`, {
      confirm: "",
      _csrf: admin.csrf,
    });
    expect(empty.statusCode).toBe(400);
    expect(await database.db.customer.count({ where: { id } })).toBe(1);
  });

  it("is admin-only and needs the CSRF token", async () => {
    const id = await customer("Kasia", "kasia@example.com", new Date("2025-06-01T00:00:00Z"), "6001");
    expect((await getPage(http, agent, `/console/customers/${id}/erase`)).statusCode).toBe(403);
    const byAgent = await postForm(http, agent, `/console/customers/${id}/erase`, {
      confirm: "kasia@example.com",
      _csrf: agent.csrf,
    });
    expect(byAgent.statusCode).toBe(403);
    const noToken = await postForm(http, admin, `/console/customers/${id}/erase`, {
      confirm: "kasia@example.com",
    });
    expect(noToken.statusCode).toBe(403);
    expect(await database.db.customer.count({ where: { id } })).toBe(1);
  });

  it("deletes the customer and everything of theirs, keeps their suppressions detached, and audits counts", async () => {
    const db = database.db;
    const id = await customer("Iwona", "iwona@example.com", new Date("2025-07-01T00:00:00Z"), "7001");
    const old = await db.customer.create({ data: { name: "Iwona (old record)", mergedIntoId: id } });
    const survey = await db.survey.create({ data: { customerId: id, channel: "telegram" } });
    await db.surveyAnswer.create({ data: { surveyId: survey.id, customerId: id, score: 4 } });
    await db.suppression.createMany({
      data: [
        { channel: "email", address: "iwona@example.com", customerId: id, reason: "unsubscribed" },
        { channel: "telegram", address: "7001", customerId: id, reason: "stopped" },
      ],
    });
    await db.linkCode.create({
      data: { code: "LINK7001", customerId: id, channel: "telegram", expiresAt: new Date("2030-01-01") },
    });
    const bystander = await customer(
      "Bystander",
      "bystander@example.com",
      new Date("2025-07-02T00:00:00Z"),
      "7002",
    );

    const response = await postForm(http, admin, `/console/customers/${id}/erase`, {
      confirm: "  IWONA@example.com ",
      _csrf: admin.csrf,
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe("/console/customers?erased=1");
    const mine = { customerId: id };
    expect(await db.customer.count({ where: { id: { in: [id, old.id] } } })).toBe(0);
    for (const count of [
      db.identity.count({ where: mine }),
      db.conversation.count({ where: mine }),
      db.interaction.count({ where: mine }),
      db.event.count({ where: mine }),
      db.purchase.count({ where: mine }),
      db.delivery.count({ where: mine }),
      db.coupon.count({ where: mine }),
      db.survey.count({ where: mine }),
      db.surveyAnswer.count({ where: mine }),
      db.segmentMember.count({ where: mine }),
      db.linkCode.count({ where: mine }),
    ])
      expect(await count).toBe(0);
    const kept = await db.suppression.findMany({ where: { address: { in: ["iwona@example.com", "7001"] } } });
    expect(kept).toHaveLength(2);
    expect(kept.every((s) => s.customerId === null)).toBe(true);
    expect(await db.identity.count({ where: { customerId: bystander } })).toBe(1);
    expect(await db.event.count({ where: { customerId: bystander } })).toBe(1);

    const audit = await db.auditLog.findFirstOrThrow({ where: { action: "customer.erase", targetId: id } });
    expect(audit).toMatchObject({ actorType: "staff", staffUserId: adminId, targetType: "Customer" });
    expect(audit.data).toEqual({
      counts: {
        customers: 2,
        identities: 1,
        conversations: 1,
        interactions: 1,
        events: 1,
        purchases: 1,
        deliveries: 1,
        coupons: 1,
        surveys: 1,
        segments: 1,
        linkCodes: 1,
      },
      suppressionsKept: 2,
      confirmedBy: "email",
    });
    expect(JSON.stringify(audit.data)).not.toMatch(/iwona/i);
    const list = await getPage(http, admin, response.headers.location!);
    expect(list.body).toContain("The customer and all their data have been erased.");
    expect((await getPage(http, admin, `/console/customers/${id}`)).statusCode).toBe(404);
  });

  it("accepts the customer id for a customer without email", async () => {
    const row = await database.db.customer.create({ data: { name: "No Mail" } });
    const response = await postForm(http, admin, `/console/customers/${row.id}/erase`, {
      confirm: row.id.toUpperCase(),
      _csrf: admin.csrf,
    });
    expect(response.statusCode).toBe(303);
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "customer.erase", targetId: row.id },
    });
    expect(audit.data).toMatchObject({ confirmedBy: "id", counts: { customers: 1 } });
  });
});

describe("merge and erase in Indonesian and Polish", () => {
  it("speak the admin's language", async () => {
    const id = await customer("Dewi", "dewi@example.com", new Date("2025-08-01T00:00:00Z"), "8001");
    for (const [locale, merge, erase] of [
      ["id", "Gabungkan pelanggan", "Ketik alamat email atau ID pelanggan untuk mengonfirmasi"],
      ["pl", "Scal klientów", "Wpisz adres e-mail lub id klienta, aby potwierdzić"],
    ] as const) {
      const email = uniqueEmail(`admin-${locale}`);
      await addStaff(database.db, email, "admin", { locale });
      const browser = await signIn(http, email);
      expect((await getPage(http, browser, `/console/customers/${id}/merge`)).body).toContain(
        `<h1>${merge}</h1>`,
      );
      expect((await getPage(http, browser, `/console/customers/${id}/erase`)).body).toContain(erase);
    }
  });
});
