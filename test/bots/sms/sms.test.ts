import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BOT_TEXTS } from "../../../bots/i18n.ts";
import type { Clock } from "../../../lib/clock.ts";
import { queueStaffReply } from "../../../workers/index.ts";
import { envFor, type FakeTwilioSms, startFakeTwilioSms, twilioSignature } from "../../fakes/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

// Monday 23 November 2026, 10:00 in Jakarta: inside the shipped business hours
const OPEN = Date.parse("2026-11-23T03:00:00Z");
const clock: Clock = { now: () => OPEN };
const PUBLIC_URL = "https://crm.example.com";

const database = useTestDatabase();
const redis = useTestRedis();
let twilio: FakeTwilioSms;
let app: TestApp;

beforeAll(async () => {
  twilio = await startFakeTwilioSms();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    clock,
    // faster than a long code, so the replies of one test do not queue behind another's
    env: { ...envFor({ sms: twilio }), PUBLIC_URL, TWILIO_SMS_PER_SECOND: "50" },
  });
});
afterAll(async () => {
  await app?.close();
  await twilio?.close();
});

let numbers = 0;
/** A mobile number no other test uses. */
const newNumber = () =>
  `+1628${String(process.pid % 1000).padStart(3, "0")}${String(++numbers).padStart(4, "0")}`;

/** A signed incoming SMS from `from`; returns its MessageSid after checking the empty TwiML answer. */
async function text(from: string, body: string, fields?: Record<string, string>) {
  const answer = await twilio.sendInbound(app.url!, PUBLIC_URL, { from, body, ...(fields && { fields }) });
  expect(answer.status).toBe(200);
  expect(answer.contentType).toMatch(/^text\/xml/);
  expect(answer.text).toMatch(/<Response\/>$/);
  return answer.messageSid;
}

const interactionOf = (sid: string) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "sms", externalId: sid } },
    include: { customer: { include: { identities: true } } },
  });
const sentTo = (number: string) => twilio.sent.filter((m) => m.to === number);
const consentOf = async (number: string) => {
  const identity = await database.db.identity.findFirstOrThrow({
    where: { channel: "sms", externalId: number },
  });
  const customer = await database.db.customer.findUniqueOrThrow({ where: { id: identity.customerId } });
  const suppressed = await database.db.suppression.count({ where: { channel: "sms", address: number } });
  return { status: (customer.consent as Record<string, { status: string }> | null)?.sms?.status, suppressed };
};

describe("the Twilio SMS webhook's signature", () => {
  it("refuses a wrong, missing, tampered or Host-based signature with 401 and stores nothing", async () => {
    const from = newNumber();
    const params = {
      MessageSid: `SM${"1".repeat(32)}`,
      AccountSid: twilio.accountSid,
      From: from,
      To: twilio.from,
      Body: "hi",
    };
    const signatures = [
      twilioSignature(`${twilio.authToken}x`, `${PUBLIC_URL}/webhooks/twilio/sms`, params),
      // signed for the address it was posted to, not PUBLIC_URL
      twilioSignature(twilio.authToken, `${app.url}/webhooks/twilio/sms`, params),
      twilioSignature(twilio.authToken, `${PUBLIC_URL}/webhooks/twilio/sms`, { ...params, Body: "hello" }),
      null,
      "",
    ];
    for (const signature of signatures) {
      const answer = await twilio.sendInbound(
        app.url!,
        PUBLIC_URL,
        { from, body: "hi", fields: params },
        { signature },
      );
      expect(answer.status, String(signature)).toBe(401);
    }
    expect(await database.db.identity.count({ where: { channel: "sms", externalId: from } })).toBe(0);
    expect(
      await database.db.interaction.count({ where: { channel: "sms", externalId: params.MessageSid } }),
    ).toBe(0);
  });
});

describe("SMS into the conversation core", () => {
  it("makes the From number the customer's sms identity and phone, and answers from the account's number", async () => {
    const from = newNumber();
    const sid = await text(from, "Is the blue mug in stock?");
    const stored = await interactionOf(sid);
    expect(stored).toMatchObject({ direction: "inbound", text: "Is the blue mug in stock?" });
    expect(stored!.customer.phone).toBe(from);
    expect(stored!.customer.identities).toEqual([
      expect.objectContaining({ channel: "sms", externalId: from }),
    ]);
    // the handover message goes out through the REST API, asking for status callbacks at PUBLIC_URL
    const reply = await waitFor("the handover SMS", () => sentTo(from)[0]);
    expect(reply).toMatchObject({
      from: twilio.from,
      statusCallback: `${PUBLIC_URL}/webhooks/twilio/sms/status`,
    });
    // Twilio redelivering the same MessageSid stores it once
    await twilio.sendInbound(app.url!, PUBLIC_URL, {
      from,
      body: "Is the blue mug in stock?",
      fields: { MessageSid: sid },
    });
    expect(await database.db.interaction.count({ where: { channel: "sms", externalId: sid } })).toBe(1);
  });

  it("keeps an MMS's media URLs with the message", async () => {
    const from = newNumber();
    const url = `https://api.twilio.com/2010-04-01/Accounts/${twilio.accountSid}/Messages/MM1/Media/ME1`;
    const sid = await text(from, "Broken on arrival", {
      NumMedia: "1",
      MediaUrl0: url,
      MediaContentType0: "image/jpeg",
    });
    const stored = await interactionOf(sid);
    expect(stored?.attachments).toEqual([{ kind: "media", url, mimeType: "image/jpeg" }]);
  });
});

describe("carrier keywords", () => {
  it("opts out on STOP, STOPALL, UNSUBSCRIBE, CANCEL, END and QUIT, and back in on START, YES and UNSTOP", async () => {
    for (const [stop, start] of [
      ["STOP", "START"],
      ["stopall", "yes"],
      [" Unsubscribe ", "UNSTOP"],
      ["CANCEL", "START"],
      ["end", "START"],
      ["Quit", "START"],
    ] as const) {
      const from = newNumber();
      await text(from, stop);
      expect(await consentOf(from), stop).toEqual({ status: "denied", suppressed: 1 });
      await text(from, start);
      expect(await consentOf(from), start).toEqual({ status: "granted", suppressed: 0 });
    }
  });

  it("answers STOP and HELP in SMS words, and takes Twilio's own OptOutType", async () => {
    const from = newNumber();
    await text(from, "help");
    await waitFor("the HELP reply", () => sentTo(from).find((m) => m.body === BOT_TEXTS.smsHelp.en));
    await text(from, "Stop please", { OptOutType: "STOP" });
    expect((await consentOf(from)).status).toBe("denied");
    await waitFor("the STOP confirmation", () =>
      sentTo(from).find((m) => m.body === BOT_TEXTS.smsStopped.en),
    );
    // a keyword inside a sentence is a message, not a keyword
    const sid = await text(from, "please stop sending me the wrong size");
    expect((await interactionOf(sid))?.text).toBe("please stop sending me the wrong size");
  });
});

describe("console replies and status callbacks", () => {
  async function staffReply(conversationId: string, body: string) {
    const staff = await database.db.staffUser.create({
      data: { email: `agent-${randomUUID()}@shop.test`, name: "Agent", passwordHash: "x" },
    });
    const result = await queueStaffReply(
      { db: database.db, queues: app.queues, clock },
      { key: `r/staff/${randomUUID()}`, conversationId, staffUserId: staff.id, text: body },
    );
    if (result.kind !== "queued") throw new Error(`not queued: ${result.kind}`);
    return result.deliveryId;
  }

  it("sends a console reply through Twilio and puts its status callbacks on the Delivery", async () => {
    const from = newNumber();
    const stored = await interactionOf(await text(from, "Where is my order?"));
    const deliveryId = await staffReply(stored!.conversationId!, "It ships tomorrow!");
    const sent = await waitFor("the reply at the fake", () =>
      sentTo(from).find((m) => m.body === "It ships tomorrow!"),
    );
    const delivery = await waitFor("the Delivery sent", () =>
      database.db.delivery.findFirst({ where: { id: deliveryId, status: "sent" } }),
    );
    expect(delivery.providerId).toBe(sent.sid);

    // a status callback signed with another key changes nothing
    const forged = await twilio.sendStatus(app.url!, sent.sid, "undelivered", { signature: "AAAA" });
    expect(forged.status).toBe(401);
    expect((await twilio.sendStatus(app.url!, sent.sid, "sent")).status).toBe(204);
    expect((await twilio.sendStatus(app.url!, sent.sid, "delivered")).status).toBe(204);
    const stamped = await database.db.delivery.findUniqueOrThrow({ where: { id: deliveryId } });
    expect(stamped).toMatchObject({ status: "sent", deliveredAt: new Date(OPEN) });

    expect((await twilio.sendStatus(app.url!, sent.sid, "undelivered", { errorCode: "30003" })).status).toBe(
      204,
    );
    const failed = await database.db.delivery.findUniqueOrThrow({ where: { id: deliveryId } });
    expect(failed).toMatchObject({ status: "failed", reason: "provider_failed" });
    expect(failed.error).toContain("30003");
  });
});
