import { Resend } from "resend";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readText, startLocalServer } from "./http.ts";
import { type FakeResend, type FakeResendOptions, startFakeResend } from "./resend.ts";
import { newWebhookSecret } from "./resend-webhooks.ts";

let fake: FakeResend;

async function start(options: FakeResendOptions = {}): Promise<Resend> {
  fake = await startFakeResend(options);
  return new Resend(fake.apiKey, { baseUrl: fake.baseUrl });
}

const welcome = (to: string | string[] = "ada@example.com") => ({
  from: "Rapport <news@shop.test>",
  to,
  subject: "Welcome",
  html: "<p>Hello</p>",
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(async () => {
  await fake.close();
});

describe("fake Resend: sending", () => {
  it("stores an email sent with the SDK and answers its id with rate-limit headers", async () => {
    const resend = await start();
    const { data, error, headers } = await resend.emails.send({
      ...welcome(),
      text: "Hello",
      replyTo: "help@shop.test",
      headers: { "X-Delivery": "d-1" },
      tags: [{ name: "campaign", value: "welcome" }],
    });
    expect(error).toBeNull();
    expect(data?.id).toMatch(UUID);
    expect(headers).toMatchObject({
      "ratelimit-limit": "5",
      "ratelimit-remaining": "4",
      "ratelimit-reset": "1",
    });
    expect(fake.emails).toMatchObject([
      {
        id: data?.id,
        from: "Rapport <news@shop.test>",
        to: ["ada@example.com"],
        reply_to: ["help@shop.test"],
        subject: "Welcome",
        html: "<p>Hello</p>",
        text: "Hello",
        headers: { "X-Delivery": "d-1" },
        tags: [{ name: "campaign", value: "welcome" }],
      },
    ]);
  });

  it("answers a batch with one id per email, in order", async () => {
    const resend = await start();
    const { data, error } = await resend.batch.send([welcome("a@example.com"), welcome("b@example.com")]);
    expect(error).toBeNull();
    expect(data?.data.map((d) => d.id)).toEqual(fake.emails.map((e) => e.id));
    expect(fake.emails.map((e) => [e.to[0], e.batchIndex])).toEqual([
      ["a@example.com", 0],
      ["b@example.com", 1],
    ]);
  });

  it("refuses a batch of more than 100 emails and stores none", async () => {
    const resend = await start();
    const tooMany = Array.from({ length: 101 }, (_, i) => welcome(`u${i}@example.com`));
    const { error } = await resend.batch.send(tooMany);
    expect(error).toMatchObject({ statusCode: 422, name: "validation_error" });
    expect(fake.emails).toHaveLength(0);
  });

  it("in permissive batch mode, sends the valid emails and reports the invalid ones by index", async () => {
    const resend = await start();
    const { data } = await resend.batch.send([welcome(), welcome("not-an-address")], {
      batchValidation: "permissive",
    });
    expect(data?.data).toHaveLength(1);
    expect(data).toMatchObject({ errors: [{ index: 1, message: expect.stringContaining("`to`") }] });
  });

  it("returns a stored email by id", async () => {
    const resend = await start();
    const sent = await resend.emails.send(welcome());
    const { data } = await resend.emails.get(sent.data?.id ?? "");
    expect(data).toMatchObject({
      object: "email",
      id: sent.data?.id,
      subject: "Welcome",
      last_event: "delivered",
    });
  });
});

describe("fake Resend: refusals", () => {
  it("answers 401 missing_api_key without a key and 403 invalid_api_key for a wrong one", async () => {
    await start();
    const anonymous = await fetch(`${fake.baseUrl}/emails`, {
      method: "POST",
      body: JSON.stringify(welcome()),
    });
    expect([anonymous.status, await anonymous.json()]).toEqual([
      401,
      { statusCode: 401, name: "missing_api_key", message: "Missing API key in the authorization header." },
    ]);
    const stranger = new Resend("re_wrong", { baseUrl: fake.baseUrl });
    const { error } = await stranger.emails.send(welcome());
    expect(error).toMatchObject({ statusCode: 403, name: "invalid_api_key" });
  });

  it("names the offending field in 422 errors and stores nothing", async () => {
    const resend = await start();
    const noSubject = await resend.emails.send({ ...welcome(), subject: "" });
    const badTo = await resend.emails.send(welcome("ada-at-example"));
    const tooMany = await resend.emails.send(
      welcome(Array.from({ length: 51 }, (_, i) => `u${i}@example.com`)),
    );
    expect(noSubject.error).toEqual({
      statusCode: 422,
      name: "missing_required_field",
      message: "Missing `subject` field.",
    });
    expect(badTo.error).toMatchObject({
      statusCode: 422,
      name: "validation_error",
      message: /^Invalid `to` field/,
    });
    expect(tooMany.error).toMatchObject({
      statusCode: 422,
      name: "validation_error",
      message: /maximum.*50/,
    });
    expect(fake.emails).toHaveLength(0);
  });

  it("answers 429 rate_limit_exceeded with retry-after once the per-second limit is used up", async () => {
    let clock = 1_700_000_000_000;
    const resend = await start({ rateLimit: 2, now: () => clock });
    await resend.emails.send(welcome());
    const second = await resend.emails.send(welcome());
    expect(second.headers?.["ratelimit-remaining"]).toBe("0");
    const third = await resend.emails.send(welcome());
    expect(third.error).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
    expect(third.headers).toMatchObject({
      "retry-after": "1",
      "ratelimit-limit": "2",
      "ratelimit-remaining": "0",
    });
    clock += 1_000;
    expect((await resend.emails.send(welcome())).error).toBeNull();
    expect(fake.emails).toHaveLength(3);
  });
});

describe("fake Resend: idempotency", () => {
  it("returns the same id for a repeated idempotency key and stores one email", async () => {
    const resend = await start();
    const first = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    const again = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    expect(again.data?.id).toBe(first.data?.id);
    expect(fake.emails).toHaveLength(1);
    expect(fake.emails[0]?.idempotencyKey).toBe("welcome/42");
  });

  it("replays a batch for a repeated key with the same ids", async () => {
    const resend = await start();
    const batch = [welcome("a@example.com"), welcome("b@example.com")];
    const first = await resend.batch.send(batch, { idempotencyKey: "batch/1" });
    const again = await resend.batch.send(batch, { idempotencyKey: "batch/1" });
    expect(again.data).toEqual(first.data);
    expect(fake.emails).toHaveLength(2);
  });

  it("refuses a key reused with a different payload with 409 invalid_idempotent_request", async () => {
    const resend = await start();
    await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    const changed = await resend.emails.send(
      { ...welcome(), subject: "Other" },
      { idempotencyKey: "welcome/42" },
    );
    expect(changed.error).toEqual({
      statusCode: 409,
      name: "invalid_idempotent_request",
      message: "Same idempotency key used with a different request payload.",
    });
    expect(fake.emails).toHaveLength(1);
  });

  it("refuses a request whose key is still in flight with 409 concurrent_idempotent_requests", async () => {
    const resend = await start({ latencyMs: 200 });
    const [a, b] = await Promise.all([
      resend.emails.send(welcome(), { idempotencyKey: "welcome/42" }),
      resend.emails.send(welcome(), { idempotencyKey: "welcome/42" }),
    ]);
    expect([a.error?.name, b.error?.name].sort()).toEqual(["concurrent_idempotent_requests", undefined]);
    expect(fake.emails).toHaveLength(1);
  });

  it("forgets a key after 24 hours", async () => {
    let clock = 1_700_000_000_000;
    const resend = await start({ now: () => clock });
    const first = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    clock += 24 * 60 * 60 * 1_000;
    const later = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    expect(later.data?.id).not.toBe(first.data?.id);
    expect(fake.emails).toHaveLength(2);
  });

  it("frees a key whose request was refused, so a corrected retry is accepted", async () => {
    const resend = await start();
    const refused = await resend.emails.send(welcome("bad"), { idempotencyKey: "welcome/42" });
    expect(refused.error?.statusCode).toBe(422);
    const retried = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    expect(retried.error).toBeNull();
  });
});

describe("fake Resend: batch idempotency", () => {
  it("refuses a batch key reused with different emails with 409 and stores nothing more", async () => {
    const resend = await start();
    await resend.batch.send([welcome("a@example.com")], { idempotencyKey: "batch/1" });
    const changed = await resend.batch.send([welcome("b@example.com")], { idempotencyKey: "batch/1" });
    expect(changed.error).toMatchObject({ statusCode: 409, name: "invalid_idempotent_request" });
    expect(fake.emails.map((e) => e.to)).toEqual([["a@example.com"]]);
  });

  it("counts a batch as one request against the rate limit and reports it in the headers", async () => {
    const resend = await start({ rateLimit: 2, now: () => 1_700_000_000_000 });
    const many = Array.from({ length: 100 }, (_, i) => welcome(`u${i}@example.com`));
    const first = await resend.batch.send(many);
    expect(first.headers).toMatchObject({ "ratelimit-limit": "2", "ratelimit-remaining": "1" });
    await resend.batch.send(many);
    const third = await resend.batch.send(many);
    expect(third.error).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
    expect(third.headers).toMatchObject({ "retry-after": "1", "ratelimit-reset": "1" });
    expect(fake.emails).toHaveLength(200);
  });
});

describe("fake Resend: webhooks", () => {
  it("posts an event signed the way Svix signs it, which Resend's own SDK verifies", async () => {
    const resend = await start();
    const received: { headers: Record<string, string>; body: string }[] = [];
    const receiver = await startLocalServer(async (req, res) => {
      received.push({ headers: req.headers as Record<string, string>, body: await readText(req) });
      res.writeHead(200).end("ok");
    });
    try {
      const sent = await resend.emails.send(welcome(), { idempotencyKey: "w/1" });
      const secret = newWebhookSecret();
      const call = await fake.sendWebhook(`${receiver.url}/hook`, secret, {
        type: "email.bounced",
        data: {
          email_id: sent.data?.id ?? "",
          bounce: { type: "Permanent", subType: "General", message: "550 no such user" },
        },
      });
      expect(call.status).toBe(200);
      const [request] = received;
      expect(request?.headers["svix-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      const verified = resend.webhooks.verify({
        payload: request?.body ?? "",
        headers: {
          id: request?.headers["svix-id"] ?? "",
          timestamp: request?.headers["svix-timestamp"] ?? "",
          signature: request?.headers["svix-signature"] ?? "",
        },
        webhookSecret: secret,
      });
      expect(verified).toMatchObject({
        type: "email.bounced",
        created_at: expect.any(String),
        data: {
          email_id: sent.data?.id,
          from: "Rapport <news@shop.test>",
          to: ["ada@example.com"],
          subject: "Welcome",
          created_at: fake.emails[0]?.created_at,
          bounce: { type: "Permanent", subType: "General" },
        },
      });
      expect(fake.webhooks).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

describe("fake Resend: injected failures", () => {
  it("fails the next requests with the given status, then recovers", async () => {
    const resend = await start();
    fake.failNext({ status: 503, name: "application_error", message: "Service unavailable", times: 2 });
    for (let i = 0; i < 2; i += 1) {
      const { error } = await resend.emails.send(welcome());
      expect(error).toEqual({ statusCode: 503, name: "application_error", message: "Service unavailable" });
    }
    expect((await resend.emails.send(welcome())).error).toBeNull();
    expect(fake.emails).toHaveLength(1);
  });

  it("injects a 429 with a retry-after header", async () => {
    const resend = await start();
    fake.failNext({ status: 429, retryAfter: 7 });
    const { error, headers } = await resend.emails.send(welcome());
    expect(error).toMatchObject({ statusCode: 429, name: "rate_limit_exceeded" });
    expect(headers?.["retry-after"]).toBe("7");
  });

  it("after an accepted send whose 500 hid success, a retry with the same key stores no second email", async () => {
    const resend = await start();
    fake.failNext({ status: 500, acceptThenFail: true });
    const lost = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    expect(lost.error).toMatchObject({ statusCode: 500, name: "application_error" });
    const retry = await resend.emails.send(welcome(), { idempotencyKey: "welcome/42" });
    expect(retry.data?.id).toBe(fake.emails[0]?.id);
    expect(fake.emails).toHaveLength(1);
  });

  it("after an accepted batch whose connection dropped, a retry with the same key returns the original ids", async () => {
    const resend = await start();
    fake.failNext({ acceptThenFail: true, dropConnection: true });
    const batch = [welcome("a@example.com"), welcome("b@example.com")];
    const lost = await resend.batch.send(batch, { idempotencyKey: "batch/1" });
    expect(lost.error).toMatchObject({ name: "application_error", statusCode: null });
    const retry = await resend.batch.send(batch, { idempotencyKey: "batch/1" });
    expect(retry.data?.data.map((d) => d.id)).toEqual(fake.emails.map((e) => e.id));
    expect(fake.emails).toHaveLength(2);
  });

  it("hangs an accepted send until the client gives up; the same key then replays the stored email", async () => {
    await start();
    fake.failNext({ acceptThenFail: true, hang: true });
    const send = (signal?: AbortSignal) =>
      fetch(`${fake.baseUrl}/emails`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${fake.apiKey}`,
          "content-type": "application/json",
          "idempotency-key": "welcome/hang",
        },
        body: JSON.stringify(welcome()),
        signal,
      });
    await expect(send(AbortSignal.timeout(300))).rejects.toThrow();
    expect(fake.emails).toHaveLength(1);
    await vi.waitFor(() => expect(fake.requests[0]?.status).toBe(-1));
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { id: string }).id).toBe(fake.emails[0]?.id);
    expect(fake.emails).toHaveLength(1);
  });

  it("failSome fails an even share of the requests, failNext's first", async () => {
    const resend = await start({ rateLimit: Number.POSITIVE_INFINITY });
    fake.failSome(0.25, { status: 503 });
    fake.failNext({ status: 500 });
    const statuses: Array<number | null> = [];
    for (let i = 0; i < 9; i += 1)
      statuses.push((await resend.emails.send(welcome())).error?.statusCode ?? 200);
    expect(statuses).toEqual([500, 200, 200, 200, 503, 200, 200, 200, 503]);
    fake.failSome(0, { status: 503 });
    expect((await resend.emails.send(welcome())).error).toBeNull();
  });

  it("without an idempotency key, a retry after a lost response sends the email twice", async () => {
    const resend = await start();
    fake.failNext({ acceptThenFail: true, dropConnection: true });
    await resend.emails.send(welcome());
    await resend.emails.send(welcome());
    expect(fake.emails).toHaveLength(2);
  });
});
