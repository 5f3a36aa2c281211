import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmsChannel } from "../../../bots/sms/channel.ts";
import { manualClock } from "../../../lib/clock.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../../lib/errors.ts";
import { type FakeTwilioSms, startFakeTwilioSms } from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const clock = manualClock(Date.UTC(2026, 10, 23, 3));
let twilio: FakeTwilioSms;

beforeAll(async () => {
  twilio = await startFakeTwilioSms();
});
afterAll(async () => {
  await twilio.close();
});

const channel = (sender: { from?: string; messagingServiceSid?: string } = {}) =>
  createSmsChannel({
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: twilio.from,
    ...sender,
    perSecond: 1,
    statusCallback: "https://crm.example.com/webhooks/twilio/sms/status",
    apiRoot: twilio.apiRoot,
    db: database.db,
    clock,
  });

const message = (to = "+16285550100", text = "Your order ships tomorrow.") => ({
  deliveryId: randomUUID(),
  to,
  text,
});

/** What `send` threw. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("the send did not fail");
}

describe("the SMS channel (twilio package against the fake)", () => {
  it("creates a message from the number with its status callback, one a second, at most once", async () => {
    const sms = channel();
    expect(sms).toMatchObject({ name: "sms", limit: { max: 1, durationMs: 1_000 }, idempotent: false });
    const sent = await sms.send(message("+16285550101"), "k1");
    expect(sent.providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(twilio.sent.at(-1)).toEqual({
      sid: sent.providerId,
      to: "+16285550101",
      from: twilio.from,
      body: "Your order ships tomorrow.",
      statusCallback: "https://crm.example.com/webhooks/twilio/sms/status",
    });
  });

  it("sends through a Messaging Service instead of a number when one is set", async () => {
    const service = `MG${"a".repeat(32)}`;
    await channel({ messagingServiceSid: service }).send(message("+16285550102"), "k2");
    expect(twilio.sent.at(-1)).toMatchObject({ to: "+16285550102", messagingServiceSid: service });
    expect(twilio.sent.at(-1)?.from).toBeUndefined();
  });

  it("maps Twilio's errors: rate limits wait, bad numbers are permanent, 5xx is transient and not sent", async () => {
    twilio.failNext({ code: 20429 });
    expect(await failure(channel().send(message(), "k3"))).toBeInstanceOf(RateLimitedError);
    for (const code of [21211, 21614]) {
      twilio.failNext({ code });
      const error = await failure(channel().send(message(), `k-${code}`));
      expect(error, String(code)).toBeInstanceOf(PermanentSendError);
      expect((error as PermanentSendError).context.providerCode).toBe(String(code));
    }
    twilio.failNext({ code: 20500 });
    const transient = await failure(channel().send(message(), "k4"));
    expect(transient).toBeInstanceOf(TransientSendError);
    expect((transient as TransientSendError).notSent).toBe(true);
  });

  it("refuses a campaign message longer than its max_segments, sending nothing (too_long)", async () => {
    const before = twilio.sent.length;
    // 161 GSM-7 characters: 2 segments; an emoji makes 70 UCS-2 code units 2 segments too
    for (const text of ["a".repeat(161), `${"a".repeat(69)}😀`]) {
      const error = await failure(channel().send({ ...message(), text, maxSegments: 1 }, "k6"));
      expect(error, text).toBeInstanceOf(PermanentSendError);
      expect((error as PermanentSendError).context.providerCode).toBe("too_long");
      expect(error.message).toContain("2 SMS segments");
    }
    expect(twilio.sent.length).toBe(before);
    await channel().send({ ...message(), text: "a".repeat(160), maxSegments: 1 }, "k7");
    expect(twilio.sent.length).toBe(before + 1);
  });

  it("records the opt-out Twilio reports with 21610 (the recipient sent STOP to this number)", async () => {
    const to = `+1628555${String(process.pid % 10_000).padStart(4, "0")}`;
    const customer = await database.db.customer.create({
      data: { phone: to, identities: { create: { channel: "sms", externalId: to } } },
    });
    twilio.failNext({ code: 21610 });
    const error = await failure(channel().send(message(to), "k5"));
    expect(error).toBeInstanceOf(PermanentSendError);
    const stored = await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect((stored.consent as Record<string, { status: string }>).sms?.status).toBe("denied");
    expect(await database.db.suppression.count({ where: { channel: "sms", address: to } })).toBe(1);
  });
});
