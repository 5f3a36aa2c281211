import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { createOutboxChannel, mergeCustomers, resolveCustomerByEmail } from "../../../bots/index.ts";
import { registerWebchat } from "../../../bots/webchat/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { createTemplateStore } from "../../../templates/index.ts";
import { startDeliverWorker } from "../../../workers/deliver.ts";
import { queueReply } from "../../../workers/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

// Identify and verify over HTTP, with the code email going the real way: a transactional Delivery queued by
// queueReply, sent by the email deliver worker through the outbox (no Resend key), read back from the .eml.
const database = useTestDatabase();
const redis = useTestRedis();
const clock = manualClock(Date.UTC(2026, 10, 23, 9));
const outboxDir = mkdtempSync(path.join(tmpdir(), "rapport-verify-"));
const app = createHttpServer({ log: silentLogger });
let worker: ReturnType<typeof startDeliverWorker>;

beforeAll(async () => {
  await registerWebchat(app, {
    db: database.db,
    onMessage: async (message) => void (await captureMessage(database.db, message)),
    sendReply: (reply) =>
      queueReply(
        { db: database.db, queues: { connection: redis.redis, prefix: redis.prefix }, clock },
        reply,
      ),
    secret: "webchat-verify-secret-0123456789",
    brandName: "Kopi Kita",
    publicUrl: "https://chat.kopikita.example",
    log: silentLogger,
    clock,
    limits: { sessionsPerMinute: 1_000, messagesPerMinute: 1_000, verifyPerMinute: 1_000 },
  });
  await app.ready();
  worker = startDeliverWorker(
    {
      db: database.db,
      clock,
      log: silentLogger,
      templates: createTemplateStore(),
      publicUrl: "https://chat.kopikita.example",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: () => undefined,
      connection: redis.redis,
      prefix: redis.prefix,
      concurrency: 2,
    },
    createOutboxChannel("email", {
      dir: outboxDir,
      from: "Kopi Kita <hello@kopikita.example>",
      clock,
      log: silentLogger,
    }),
  );
});
afterAll(async () => {
  await worker?.close();
  await app.close();
  rmSync(outboxDir, { recursive: true, force: true });
});

type Visitor = { visitorId: string; token: string };

const post = (url: string, body: unknown) =>
  app.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(body),
  });

async function newVisitor(locale = "en"): Promise<Visitor> {
  const response = await post("/webchat/api/session", { locale });
  expect(response.statusCode).toBe(201);
  return response.json();
}

const say = (visitor: Visitor, id: string, text: string) =>
  post("/webchat/api/messages", { ...visitor, clientMessageId: id, text });

async function history(visitor: Visitor): Promise<string[]> {
  const response = await app.inject({
    method: "GET",
    url: `/webchat/api/history?visitorId=${visitor.visitorId}&token=${encodeURIComponent(visitor.token)}`,
  });
  expect(response.statusCode).toBe(200);
  return response.json().messages.map((m: { text: string }) => m.text);
}

async function customerOf(visitor: Visitor): Promise<string> {
  const identity = await database.db.identity.findUniqueOrThrow({
    where: { channel_externalId: { channel: "webchat", externalId: visitor.visitorId } },
  });
  return identity.customerId;
}

/** The code emails sent to an address, oldest first: subject (decoded) and the 6-digit code in it. */
function codeEmails(address: string): Array<{ subject: string; code: string }> {
  const folder = path.join(outboxDir, "email");
  let files: string[] = [];
  try {
    files = readdirSync(folder).filter((f) => f.endsWith(".eml"));
  } catch {
    return [];
  }
  return files
    .map((file) => readFileSync(path.join(folder, file), "utf8"))
    .filter((eml) => eml.includes(`\r\nTo: ${address}\r\n`))
    .map((eml) => {
      const raw = /\r\nSubject: (.*)\r\n/.exec(eml)?.[1] ?? "";
      const encoded = /^=\?UTF-8\?B\?(.*)\?=$/.exec(raw);
      const subject = encoded ? Buffer.from(encoded[1]!, "base64").toString("utf8") : raw;
      return { subject, code: /^(\d{6}) /.exec(subject)?.[1] ?? "" };
    })
    .sort((a, b) => a.subject.localeCompare(b.subject));
}

async function identify(visitor: Visitor, email: string) {
  const response = await post("/webchat/api/identify", { ...visitor, email });
  return response;
}

async function codeFor(address: string, count = 1): Promise<string> {
  const emails = await waitFor(`code email ${count} to ${address}`, () => {
    const found = codeEmails(address);
    return found.length >= count ? found : undefined;
  });
  return emails.at(-1)!.code;
}

const verify = (visitor: Visitor, code: string) => post("/webchat/api/verify", { ...visitor, code });

/** A customer the shop knows by email, who also chatted from their own browser (merged with proof). */
async function knownCustomer(
  email: string,
  secret: string,
): Promise<{ customerId: string; visitor: Visitor }> {
  const { customerId } = await resolveCustomerByEmail(database.db, { email, name: "Siti" });
  const visitor = await newVisitor("id");
  expect((await say(visitor, "s-1", secret)).statusCode).toBe(200);
  await mergeCustomers(database.db, customerId, await customerOf(visitor), { reason: "staff" });
  return { customerId, visitor };
}

describe("identify with someone else's email", () => {
  it("merges nothing: the visitor's history has none of that customer's messages", async () => {
    const siti = await knownCustomer("siti@example.com", "Kirim ke Jl. Mawar 12, Bandung");
    const attacker = await newVisitor();
    await say(attacker, "a-1", "hello");

    const response = await identify(attacker, "Siti@Example.com");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ verification: "sent" });

    expect(await customerOf(attacker)).not.toBe(siti.customerId);
    expect(await history(attacker)).toEqual(["hello"]);
    expect(await customerOf(siti.visitor)).toBe(siti.customerId);
    const attackerCustomer = await database.db.customer.findUniqueOrThrow({
      where: { id: await customerOf(attacker) },
      include: { identities: true, contactClaims: true },
    });
    expect(attackerCustomer.email).toBeNull();
    expect(attackerCustomer.identities.map((i) => i.channel)).toEqual(["webchat"]);
    expect(attackerCustomer.contactClaims).toMatchObject([
      { kind: "email", value: "siti@example.com", verifiedAt: null },
    ]);
    expect(
      await database.db.auditLog.count({
        where: {
          action: "customer.merge",
          targetId: siti.customerId,
          data: { path: ["reason"], equals: "verified_email" },
        },
      }),
    ).toBe(0);
    // the code went to Siti's inbox, not to the visitor
    expect(await codeFor("siti@example.com")).toMatch(/^\d{6}$/);
  });

  it("answers the same whether or not anyone has the address", async () => {
    const visitor = await newVisitor();
    const unknown = await identify(visitor, "nobody-has-this@example.com");
    const other = await newVisitor();
    await resolveCustomerByEmail(database.db, { email: "somebody@example.com" });
    const known = await identify(other, "somebody@example.com");
    expect([unknown.statusCode, known.statusCode]).toEqual([200, 200]);
    expect(unknown.body).toBe(known.body);
  });
});

describe("the code", () => {
  it("is emailed to the address in the visitor's language, and proves it: merged, audited, history still own", async () => {
    const ana = await knownCustomer("ana@example.com", "Ana's first browser");
    const visitor = await newVisitor("pl-PL");
    await say(visitor, "p-1", "To ja, Ana, z telefonu");
    expect((await identify(visitor, "ana@example.com")).statusCode).toBe(200);
    const emails = await waitFor("the code email", () => codeEmails("ana@example.com")[0]);
    expect(emails.subject).toMatch(/^\d{6} to Twój kod weryfikacyjny Kopi Kita$/);
    // the outbox file is written before the worker records the send: wait for the record
    const delivery = await waitFor("the code's Delivery recorded as sent", () =>
      database.db.delivery.findFirst({
        where: { recipient: "ana@example.com", template: "verify-email", status: "sent" },
      }),
    );
    expect(delivery).toMatchObject({ kind: "transactional", channel: "email", locale: "pl", status: "sent" });

    const response = await verify(visitor, emails.code);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ verified: true, email: "ana@example.com" });
    expect(await customerOf(visitor)).toBe(ana.customerId);
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "customer.merge", targetId: ana.customerId, actorType: "customer" },
    });
    expect(audit.data).toMatchObject({ reason: "verified_email" });
    expect(
      await database.db.contactClaim.findFirstOrThrow({ where: { value: "ana@example.com" } }),
    ).toMatchObject({ customerId: ana.customerId, verifiedAt: expect.any(Date) });
    // proven, yet this browser reads only what it wrote and was sent: not the other browser's chat
    expect(await history(visitor)).toEqual(["To ja, Ana, z telefonu"]);
    // a code works once
    expect((await verify(visitor, emails.code)).statusCode).toBe(410);
  });

  it("makes an address nobody has the customer's email once proven", async () => {
    const visitor = await newVisitor();
    await identify(visitor, "new.person@example.com");
    const code = await codeFor("new.person@example.com");
    expect((await verify(visitor, code)).statusCode).toBe(200);
    const customer = await database.db.customer.findUniqueOrThrow({
      where: { id: await customerOf(visitor) },
      include: { identities: true },
    });
    expect(customer.email).toBe("new.person@example.com");
    expect(customer.identities.map((i) => `${i.channel}`).sort()).toEqual(["email", "webchat"]);
  });

  it("dies after 5 attempts, even when the fifth or sixth is right", async () => {
    await knownCustomer("wiktor@example.com", "Wiktor's secret");
    const visitor = await newVisitor();
    await identify(visitor, "wiktor@example.com");
    const code = await codeFor("wiktor@example.com");
    const wrong = code === "000000" ? "999999" : "000000";
    const answers: Array<[number, number | undefined]> = [];
    for (let i = 0; i < 5; i++) {
      const response = await verify(visitor, wrong);
      answers.push([response.statusCode, response.json().attemptsLeft]);
    }
    expect(answers).toEqual([
      [422, 4],
      [422, 3],
      [422, 2],
      [422, 1],
      [422, 0],
    ]);
    const locked = await verify(visitor, code);
    expect(locked.statusCode).toBe(410);
    expect(locked.json().error).toBe("code_locked");
    expect(await history(visitor)).toEqual([]);
    expect(await database.db.customer.count({ where: { email: "wiktor@example.com" } })).toBe(1);
  });

  it("expires after 10 minutes", async () => {
    await knownCustomer("eka@example.com", "Eka's secret");
    const visitor = await newVisitor();
    await identify(visitor, "eka@example.com");
    const code = await codeFor("eka@example.com");
    clock.advance(10 * 60_000);
    const expired = await verify(visitor, code);
    expect(expired.statusCode).toBe(410);
    expect(expired.json().error).toBe("code_expired");
    expect(
      await database.db.customer.findUniqueOrThrow({ where: { id: await customerOf(visitor) } }),
    ).toMatchObject({
      email: null,
      mergedIntoId: null,
    });
  });

  it("is sent at most 3 times an hour to one address, whoever asks; the refused ask keeps no claim", async () => {
    const visitors = [await newVisitor(), await newVisitor(), await newVisitor(), await newVisitor()];
    const statuses: number[] = [];
    for (const visitor of visitors) statuses.push((await identify(visitor, "flood@example.com")).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(await database.db.contactVerification.count({ where: { value: "flood@example.com" } })).toBe(3);
    const claimsOf = async (visitor: Visitor) =>
      database.db.contactClaim.count({ where: { customerId: await customerOf(visitor) } });
    expect(await claimsOf(visitors[0]!)).toBe(1);
    expect(await claimsOf(visitors[3]!)).toBe(0);
  });

  it("refuses a code that is not 6 digits with 400 naming the field", async () => {
    const visitor = await newVisitor();
    const response = await verify(visitor, "12ab");
    expect(response.statusCode).toBe(400);
    expect(response.json().issues).toMatchObject([{ path: "code" }]);
  });
});
