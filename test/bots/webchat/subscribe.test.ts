import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { createOutboxChannel, registerDoubleOptIn, resolveCustomerByEmail } from "../../../bots/index.ts";
import { registerWebchat } from "../../../bots/webchat/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { createTemplateStore } from "../../../templates/index.ts";
import { startDeliverWorker } from "../../../workers/deliver.ts";
import { queueReply } from "../../../workers/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { readEml } from "../../support/eml.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

// The web chat's "Get offers by email" box over HTTP: the confirm email goes the real transactional way
// (queueReply → email deliver worker → outbox .eml), and its link is confirmed on the page it points to.
const database = useTestDatabase();
const redis = useTestRedis();
const clock = manualClock(Date.UTC(2026, 10, 23, 9));
const outboxDir = mkdtempSync(path.join(tmpdir(), "rapport-subscribe-"));
const LINK_SECRET = "webchat-subscribe-link-secret-0123";
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
    secret: "webchat-subscribe-secret-0123456789",
    linkSecret: LINK_SECRET,
    brandName: "Kopi Kita",
    publicUrl: "https://chat.kopikita.example",
    log: silentLogger,
    clock,
    limits: { sessionsPerMinute: 1_000, messagesPerMinute: 1_000, verifyPerMinute: 1_000 },
  });
  await registerDoubleOptIn(app, {
    db: database.db,
    secret: LINK_SECRET,
    clock,
    log: silentLogger,
    brandName: "Kopi Kita",
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

async function newVisitor(locale: string): Promise<Visitor> {
  const response = await post("/webchat/api/session", { locale });
  expect(response.statusCode).toBe(201);
  return response.json();
}

async function customerOf(visitor: Visitor): Promise<string> {
  const identity = await database.db.identity.findUniqueOrThrow({
    where: { channel_externalId: { channel: "webchat", externalId: visitor.visitorId } },
  });
  return identity.customerId;
}

const subscribe = (visitor: Visitor, email: string) => post("/webchat/api/subscribe", { ...visitor, email });

/** The confirm emails in the outbox to an address: the raw .eml and the link's path. */
function confirmEmails(address: string): Array<{ eml: string; link: string }> {
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
      const text = readEml(eml).body;
      const url = /https:\/\/chat\.kopikita\.example(\/confirm\/[A-Za-z0-9_-]+)/.exec(text);
      return { eml: text, link: url?.[1] ?? "" };
    })
    .filter((e) => e.link !== "");
}

describe("the web chat's offers box", () => {
  it("emails a confirm link in the visitor's language to the typed address, which stays a claim", async () => {
    const visitor = await newVisitor("id");
    const response = await subscribe(visitor, "Dewi@Example.com");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ subscription: "sent" });

    const [email] = await waitFor("the confirm email in the outbox", () => {
      const found = confirmEmails("dewi@example.com");
      return found.length > 0 ? found : undefined;
    });
    expect(email!.eml).toContain("Konfirmasi langganan saya");
    const customerId = await customerOf(visitor);
    const customer = await database.db.customer.findUniqueOrThrow({
      where: { id: customerId },
      include: { contactClaims: true, consentEvents: true },
    });
    expect(customer.email).toBeNull();
    expect(customer.contactClaims).toMatchObject([
      { kind: "email", value: "dewi@example.com", source: "webchat_subscribe", verifiedAt: null },
    ]);
    expect(customer.consentEvents).toMatchObject([
      {
        status: "pending",
        source: "double_opt_in",
        evidence: { address: "dewi@example.com", starter: "webchat" },
      },
    ]);

    // the GET page asks and changes nothing; the POST proves the address and grants email consent
    const page = await app.inject({ method: "GET", url: email!.link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Ya, kirimi saya promo");
    expect(await database.db.consentEvent.count({ where: { customerId, status: "granted" } })).toBe(0);
    const done = await app.inject({ method: "POST", url: email!.link, headers: { "user-agent": "Phone/1" } });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain("Anda sudah berlangganan");
    const after = await database.db.customer.findUniqueOrThrow({
      where: { id: customerId },
      include: { contactClaims: true },
    });
    expect(after.email).toBe("dewi@example.com");
    expect(after.consent).toMatchObject({ email: { status: "granted", via: "double_opt_in" } });
    expect(after.contactClaims[0]!.verifiedAt).not.toBeNull();
  });

  it("answers the same whether or not anyone has the address, and merges nothing on asking", async () => {
    const { customerId: holder } = await resolveCustomerByEmail(database.db, { email: "known@example.com" });
    const [one, two] = [await newVisitor("en"), await newVisitor("en")];
    const known = await subscribe(one, "known@example.com");
    const unknown = await subscribe(two, "unknown-to-all@example.com");
    expect([known.statusCode, unknown.statusCode]).toEqual([200, 200]);
    expect(known.body).toBe(unknown.body);
    expect(await customerOf(one)).not.toBe(holder);
    const holderRow = await database.db.customer.findUniqueOrThrow({ where: { id: holder } });
    expect(holderRow.consent).toEqual({});
  });

  it("refuses a bad address with 400 naming the field, and a fourth link an hour to one address with 429", async () => {
    const visitor = await newVisitor("pl");
    const bad = await subscribe(visitor, "not-an-address");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.map((i: { path: string }) => i.path)).toEqual(["email"]);

    const address = "flooded@example.com";
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await subscribe(await newVisitor("pl"), address)).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    clock.advance(3_600_001);
    expect((await subscribe(await newVisitor("pl"), address)).statusCode).toBe(200);
  });
});
