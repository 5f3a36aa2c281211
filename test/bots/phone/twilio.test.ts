import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const AUTH_TOKEN = "12345678901234567890123456789012";
const ACCOUNT = `AC${"a".repeat(32)}`;
/** The address Twilio calls (through a proxy): never the Host header the app sees. */
const PUBLIC_URL = "https://crm.example.com";
let app: TestApp;
let ola: string;

/**
 * Twilio's signature, written from its documentation (twilio.com/docs/usage/webhooks/webhooks-security), not
 * with the twilio package the app uses: the full URL, then every POST parameter sorted by name, each name
 * followed by its value, HMAC-SHA1 keyed with the auth token, base64.
 */
function twilioSignature(token: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac("sha1", token).update(data, "utf8").digest("base64");
}

const callSid = () => `CA${randomBytes(16).toString("hex")}`;

/** Twilio's incoming-call parameters (a subset of what it sends, as it sends them). */
function incoming(sid: string, status: string, from = "+48601234567", more: Record<string, string> = {}) {
  return {
    AccountSid: ACCOUNT,
    ApiVersion: "2010-04-01",
    CallSid: sid,
    CallStatus: status,
    Called: "+48221234567",
    Caller: from,
    Direction: "inbound",
    From: from,
    FromCountry: "PL",
    To: "+48221234567",
    ...more,
  };
}

/** POSTs a form as Twilio does, signed for `PUBLIC_URL + path` (or with the given signature). */
async function post(path: string, params: Record<string, string>, signature?: string | null) {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  const signed = signature === undefined ? twilioSignature(AUTH_TOKEN, PUBLIC_URL + path, params) : signature;
  if (signed !== null) headers["x-twilio-signature"] = signed;
  return fetch(app.url + path, { method: "POST", headers, body: new URLSearchParams(params).toString() });
}

const callRow = (sid: string) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "phone", externalId: `twilio:${sid}` } },
  });

beforeAll(async () => {
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    workers: false,
    env: { PUBLIC_URL, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT },
  });
  ola = (
    await database.db.customer.create({
      data: { name: "Ola", email: "ola@example.com", phone: "+48601234567" },
    })
  ).id;
}, 30_000);
afterAll(async () => {
  await app?.close();
});

describe("POST /webhooks/twilio/voice", () => {
  it("stores a ringing call of a known customer's proven phone and answers TwiML", async () => {
    const sid = callSid();
    const response = await post("/webhooks/twilio/voice", incoming(sid, "ringing"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/xml/);
    expect(await response.text()).toMatch(/<Response><\/Response>$/);
    const row = await callRow(sid);
    expect(row).toMatchObject({
      customerId: ola,
      channel: "phone",
      direction: "inbound",
      author: "customer",
    });
    expect((row!.raw as { call: { state: string } }).call.state).toBe("ringing");
    const conversation = await database.db.conversation.findUniqueOrThrow({
      where: { id: row!.conversationId! },
    });
    expect(conversation).toMatchObject({ customerId: ola, channel: "phone", status: "open" });
    // a caller id never merges nor adds contacts to the customer it matched
    expect(await database.db.identity.count({ where: { customerId: ola } })).toBe(0);
  });

  it("refuses a wrong, missing or Host-based signature with 403 and stores nothing", async () => {
    const before = await database.db.interaction.count();
    const customers = await database.db.customer.count();
    const sid = callSid();
    const params = incoming(sid, "ringing", "+48600000001");
    const wrongKey = twilioSignature(
      "another-token-0123456789abcdef01",
      `${PUBLIC_URL}/webhooks/twilio/voice`,
      params,
    );
    // signed for the address the app listens on, as a server trusting the Host header would check
    const hostBased = twilioSignature(AUTH_TOKEN, `${app.url}/webhooks/twilio/voice`, params);
    // signed, then a parameter changed on the way
    const tampered = twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/webhooks/twilio/voice`, {
      ...params,
      From: "+48600000002",
    });
    for (const signature of [wrongKey, hostBased, tampered, null, ""]) {
      const response = await post("/webhooks/twilio/voice", params, signature);
      expect(response.status, String(signature)).toBe(403);
    }
    expect(await callRow(sid)).toBeNull();
    expect(await database.db.interaction.count()).toBe(before);
    expect(await database.db.customer.count()).toBe(customers);
  });

  it("verifies the URL with its query string, and takes the agent from it", async () => {
    const sid = callSid();
    const path = "/webhooks/twilio/voice?agent=agent%40example.com&x=1";
    expect((await post(path, incoming(sid, "ringing"))).status).toBe(200);
    expect(((await callRow(sid))!.raw as { call: { agent: string } }).call.agent).toBe("agent@example.com");
    // the same signature without the query string signs another URL
    const other = callSid();
    const signedWithout = twilioSignature(
      AUTH_TOKEN,
      `${PUBLIC_URL}/webhooks/twilio/voice`,
      incoming(other, "ringing"),
    );
    expect((await post(path, incoming(other, "ringing"), signedWithout)).status).toBe(403);
    expect(await callRow(other)).toBeNull();
  });

  it("keeps one row per CallSid: status callbacks move it forward, repeats change nothing, the duration stays", async () => {
    const sid = callSid();
    const at = (s: string) => ({ Timestamp: s });
    expect((await post("/webhooks/twilio/voice", incoming(sid, "ringing"))).status).toBe(200);
    const first = await callRow(sid);
    for (const [status, more] of [
      ["in-progress", at("Mon, 07 Dec 2026 10:00:05 +0000")],
      ["in-progress", at("Mon, 07 Dec 2026 10:00:05 +0000")],
      ["completed", { CallDuration: "125", ...at("Mon, 07 Dec 2026 10:02:10 +0000") }],
      ["completed", { CallDuration: "125", ...at("Mon, 07 Dec 2026 10:02:10 +0000") }],
      // late and out of order: an earlier state never takes the call back
      ["ringing", {}],
    ] as const) {
      const response = await post("/webhooks/twilio/voice/status", incoming(sid, status, undefined, more));
      expect(response.status, status).toBe(204);
    }
    expect(
      await database.db.interaction.count({ where: { channel: "phone", externalId: `twilio:${sid}` } }),
    ).toBe(1);
    const row = await callRow(sid);
    expect(row!.id).toBe(first!.id);
    const call = (row!.raw as { call: { state: string; durationSeconds: number } }).call;
    expect(call).toMatchObject({ state: "ended", durationSeconds: 125 });
    expect(row!.text).toContain("2:05");
    // ringing, in-progress, completed: the repeats and the late ringing were not kept as changes
    expect((row!.raw as { reports: unknown[] }).reports).toHaveLength(3);
  });

  it("makes an unknown number a new customer with a phone identity, and files the next call under them", async () => {
    const number = "+6281234567890";
    const sid = callSid();
    expect((await post("/webhooks/twilio/voice", incoming(sid, "ringing", number))).status).toBe(200);
    const row = await callRow(sid);
    const caller = await database.db.customer.findUniqueOrThrow({
      where: { id: row!.customerId },
      include: { identities: true },
    });
    expect(caller.phone).toBeNull();
    expect(caller.preferredChannel).toBeNull();
    expect(caller.identities).toHaveLength(1);
    expect(caller.identities[0]).toMatchObject({ channel: "phone", externalId: number });
    const again = callSid();
    expect((await post("/webhooks/twilio/voice/status", incoming(again, "no-answer", number))).status).toBe(
      204,
    );
    const next = await callRow(again);
    expect(next!.customerId).toBe(caller.id);
    expect((next!.raw as { call: { state: string } }).call.state).toBe("missed");
  });

  it("stores nothing for a child leg of a call (a <Dial> to an agent), which is the same call", async () => {
    const parent = callSid();
    const leg = callSid();
    const params = incoming(leg, "completed", "+48601234567", {
      ParentCallSid: parent,
      Direction: "outbound-dial",
      To: "+48500100200",
      CallDuration: "40",
    });
    expect((await post("/webhooks/twilio/voice/status", params)).status).toBe(204);
    expect(await callRow(leg)).toBeNull();
    expect(
      await database.db.identity.count({ where: { channel: "phone", externalId: "+48500100200" } }),
    ).toBe(0);
  });

  it("answers a call from a SIP address (no caller number) with TwiML and stores nothing", async () => {
    const sid = callSid();
    const from = `sip:${"reception".repeat(10)}@shop.sip.twilio.com`;
    const response = await post("/webhooks/twilio/voice", incoming(sid, "ringing", from));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("<Response>");
    expect(await callRow(sid)).toBeNull();
  });

  it("refuses another account's webhook (403) and a signed body missing CallSid (400 naming it)", async () => {
    const before = await database.db.interaction.count();
    const foreign = incoming(callSid(), "ringing", undefined, { AccountSid: `AC${"b".repeat(32)}` });
    const wrongAccount = await post("/webhooks/twilio/voice", foreign);
    expect(wrongAccount.status).toBe(403);
    expect((await wrongAccount.json()).message).toMatch(/^AccountSid/);
    const { CallSid: _, ...noSid } = incoming(callSid(), "ringing");
    const bad = await post("/webhooks/twilio/voice", noSid);
    expect(bad.status).toBe(400);
    expect((await bad.json()).issues[0].path).toBe("CallSid");
    expect(await database.db.interaction.count()).toBe(before);
  });
});

describe("without TWILIO_AUTH_TOKEN", () => {
  it("answers 503 saying what to set, and stores nothing", async () => {
    const off = await startTestApp({
      databaseUrl: database.url,
      redisUrl: redis.url,
      prefix: `${redis.prefix}off`,
      workers: false,
      env: { PUBLIC_URL },
    });
    try {
      const before = await database.db.interaction.count();
      const params = incoming(callSid(), "ringing");
      const response = await fetch(`${off.url}/webhooks/twilio/voice`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/webhooks/twilio/voice`, params),
        },
        body: new URLSearchParams(params).toString(),
      });
      expect(response.status).toBe(503);
      expect((await response.json()).message).toMatch(/TWILIO_AUTH_TOKEN/);
      expect(await database.db.interaction.count()).toBe(before);
    } finally {
      await off.close();
    }
  });
});
