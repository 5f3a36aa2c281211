import { afterEach, describe, expect, it } from "vitest";
import {
  type BatchChannel,
  createResendChannel,
  isBatchChannel,
  type OutboundMessage,
  unsubscribeHeaders,
} from "../../../bots/index.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../../lib/errors.ts";
import { type FakeResend, type FakeResendOptions, startFakeResend } from "../../fakes/index.ts";

let fake: FakeResend;

async function channel(
  options: FakeResendOptions = {},
  apiKey?: string,
  replyTo?: string,
): Promise<BatchChannel> {
  fake = await startFakeResend({ rateLimit: Number.POSITIVE_INFINITY, ...options });
  return createResendChannel({
    apiKey: apiKey ?? fake.apiKey,
    baseUrl: fake.baseUrl,
    from: "Rapport Shop <hello@shop.test>",
    replyTo,
  });
}

const message = (n: number, to = `customer${n}@example.com`): OutboundMessage => ({
  deliveryId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  to,
  subject: `Offer ${n}`,
  text: `Hello ${n}`,
  html: `<p>Hello ${n}</p>`,
  headers: unsubscribeHeaders(`https://crm.shop.test/u/token${n}`, "unsubscribe@shop.test"),
});

const batch = (size: number) => Array.from({ length: size }, (_, i) => message(i + 1));

afterEach(async () => {
  await fake.close();
});

describe("Resend channel: sendBatch", () => {
  it("is a batch channel of up to 100 emails", async () => {
    const email = await channel();
    expect(isBatchChannel(email)).toBe(true);
    expect(email.maxBatch).toBe(100);
  });

  it("sends a batch in one request and returns each email's id in input order", async () => {
    const email = await channel();
    const results = await email.sendBatch(batch(3), "batch/welcome/1");
    expect(fake.requests.map((r) => [r.method, r.path, r.headers["x-batch-validation"]])).toEqual([
      ["POST", "/emails/batch", "permissive"],
    ]);
    expect(results).toEqual(fake.emails.map((e) => ({ providerId: e.id })));
    expect(fake.emails.map((e) => [e.to[0], e.subject, e.batchIndex, e.idempotencyKey])).toEqual([
      ["customer1@example.com", "Offer 1", 0, "batch/welcome/1"],
      ["customer2@example.com", "Offer 2", 1, "batch/welcome/1"],
      ["customer3@example.com", "Offer 3", 2, "batch/welcome/1"],
    ]);
  });

  it("passes the one-click unsubscribe headers through to every email, with a Message-ID naming its Delivery", async () => {
    const email = await channel();
    await email.sendBatch(batch(2), "batch/headers");
    await email.send(message(9), "single/headers");
    expect(fake.emails.map((e) => e.headers)).toEqual([
      {
        "List-Unsubscribe":
          "<https://crm.shop.test/u/token1>, <mailto:unsubscribe@shop.test?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": "<00000000-0000-4000-8000-000000000001@shop.test>",
      },
      {
        "List-Unsubscribe":
          "<https://crm.shop.test/u/token2>, <mailto:unsubscribe@shop.test?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": "<00000000-0000-4000-8000-000000000002@shop.test>",
      },
      {
        "List-Unsubscribe":
          "<https://crm.shop.test/u/token9>, <mailto:unsubscribe@shop.test?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": "<00000000-0000-4000-8000-000000000009@shop.test>",
      },
    ]);
    expect(fake.emails.map((e) => e.reply_to)).toEqual([[], [], []]);
  });

  it("sets the configured Reply-To on every email and keeps a Message-ID the message brings", async () => {
    const email = await channel({}, undefined, "reply@in.shop.test");
    await email.sendBatch(batch(1), "batch/reply-to");
    await email.send({ ...message(2), headers: { "Message-ID": "<own@shop.test>" } }, "single/reply-to");
    expect(fake.emails.map((e) => [e.reply_to, e.headers["Message-ID"]])).toEqual([
      [["reply@in.shop.test"], "<00000000-0000-4000-8000-000000000001@shop.test>"],
      [["reply@in.shop.test"], "<own@shop.test>"],
    ]);
  });

  it("after a lost response, a retry with the same key returns the same ids and sends nothing twice", async () => {
    const email = await channel();
    fake.failNext({ acceptThenFail: true, dropConnection: true });
    await expect(email.sendBatch(batch(3), "batch/retry")).rejects.toBeInstanceOf(TransientSendError);
    expect(fake.emails).toHaveLength(3);
    const retried = await email.sendBatch(batch(3), "batch/retry");
    expect(retried).toEqual(fake.emails.map((e) => ({ providerId: e.id })));
    expect(fake.emails).toHaveLength(3);
  });

  it("turns a 429 into RateLimitedError carrying Resend's retry-after", async () => {
    const email = await channel();
    fake.failNext({ status: 429, retryAfter: 7 });
    const error = await email.sendBatch(batch(2), "batch/limited").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7_000);
    expect(fake.emails).toHaveLength(0);
  });

  it("waits for ratelimit-reset when Resend's own per-second limit is used up", async () => {
    const email = await channel({ rateLimit: 1, now: () => 1_700_000_000_000 });
    await email.sendBatch(batch(2), "batch/a");
    const error = await email.sendBatch(batch(2), "batch/b").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(1_000);
    expect((error as RateLimitedError).context).toMatchObject({
      channel: "email",
      providerCode: "rate_limit_exceeded",
    });
  });

  it("reports an email Resend refuses on its own in its place and still sends the others", async () => {
    const email = await channel();
    const messages = [message(1), message(2, "not-an-address"), { ...message(3), subject: "" }, message(4)];
    const results = await email.sendBatch(messages, "batch/partial");
    expect(fake.emails.map((e) => e.to[0])).toEqual(["customer1@example.com", "customer4@example.com"]);
    expect(results).toEqual([
      { providerId: fake.emails[0]?.id },
      { error: expect.stringContaining("`to`"), permanent: true },
      { error: expect.stringContaining("`subject`"), permanent: true },
      { providerId: fake.emails[1]?.id },
    ]);
  });

  it("says how to fix a refused API key, and never as a retryable error", async () => {
    const email = await channel({}, "re_wrong_key");
    const error = await email.sendBatch(batch(1), "batch/auth").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as Error).message).toMatch(
      /403 invalid_api_key.*RESEND_API_KEY was refused: create an API key/,
    );
  });

  it("retries 5xx and 409 but not other 4xx", async () => {
    const email = await channel();
    fake.failNext({ status: 503 });
    await expect(email.sendBatch(batch(1), "batch/5xx")).rejects.toBeInstanceOf(TransientSendError);
    fake.failNext({ status: 409, name: "concurrent_idempotent_requests" });
    await expect(email.sendBatch(batch(1), "batch/409")).rejects.toBeInstanceOf(TransientSendError);
    fake.failNext({ status: 422, name: "validation_error" });
    await expect(email.sendBatch(batch(1), "batch/422")).rejects.toBeInstanceOf(PermanentSendError);
    expect(fake.emails).toHaveLength(0);
  });

  it("sends nothing for an empty batch and refuses one over 100 before calling Resend", async () => {
    const email = await channel();
    expect(await email.sendBatch([], "batch/empty")).toEqual([]);
    await expect(email.sendBatch(batch(101), "batch/big")).rejects.toThrow(/at most 100/);
    expect(fake.requests).toHaveLength(0);
  });
});
