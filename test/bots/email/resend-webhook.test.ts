import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResendChannel, registerResendWebhook } from "../../../bots/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import {
  type FakeResend,
  newWebhookSecret,
  type ResendWebhookEventInput,
  startFakeResend,
  svixSignature,
  type WebhookSendOptions,
} from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const SECRET = newWebhookSecret();
const NOW = Date.UTC(2026, 2, 14, 10, 0);
const database = useTestDatabase();
const clock = manualClock(NOW);
const app = createHttpServer({ log: silentLogger });
const unconfigured = createHttpServer({ log: silentLogger });
let fake: FakeResend;
let hookUrl: string;

beforeAll(async () => {
  fake = await startFakeResend({ now: clock.now, rateLimit: Number.POSITIVE_INFINITY });
  await registerResendWebhook(app, { db: database.db, secret: SECRET, clock, log: silentLogger });
  await registerResendWebhook(unconfigured, { db: database.db, clock, log: silentLogger });
  app.post("/echo", async (request) => ({ got: request.body }));
  hookUrl = `${await app.listen({ port: 0, host: "127.0.0.1" })}/webhooks/resend`;
});
afterAll(async () => {
  await app.close();
  await unconfigured.close();
  await fake.close();
});

/** Sends a real email through the Resend channel and records its Delivery, as the deliver worker does. */
async function sentEmail() {
  const email = `${randomUUID()}@example.com`;
  const customer = await database.db.customer.create({ data: { email, locale: "en" } });
  const key = `d/welcome/${customer.id}`;
  const channel = createResendChannel({
    apiKey: fake.apiKey,
    baseUrl: fake.baseUrl,
    from: "Shop <hi@shop.test>",
  });
  const { providerId } = await channel.send(
    { deliveryId: randomUUID(), to: email, subject: "Hi", text: "Hi" },
    key,
  );
  const delivery = await database.db.delivery.create({
    data: {
      key,
      customerId: customer.id,
      channel: "email",
      recipient: email,
      status: "sent",
      sentAt: new Date(NOW),
      providerId,
    },
  });
  return { customer, delivery, emailId: providerId, email };
}

const hook = (
  type: string,
  emailId: string,
  extra: Partial<ResendWebhookEventInput> = {},
  options?: WebhookSendOptions,
) =>
  fake.sendWebhook(hookUrl, SECRET, { type, ...extra, data: { email_id: emailId, ...extra.data } }, options);

const deliveryRow = (id: string) => database.db.delivery.findUniqueOrThrow({ where: { id } });
const suppressionsOf = (customerId: string) => database.db.suppression.findMany({ where: { customerId } });

describe("POST /webhooks/resend: signatures", () => {
  it("accepts a call signed with the webhook's secret", async () => {
    const { delivery, emailId } = await sentEmail();
    const call = await hook("email.delivered", emailId);
    expect([call.status, JSON.parse(call.response)]).toEqual([200, { ok: true, outcome: "recorded" }]);
    expect((await deliveryRow(delivery.id)).deliveredAt).toEqual(new Date(NOW));
  });

  it.each<[string, string, WebhookSendOptions]>([
    [
      "a forged signature",
      "svix-signature does not match",
      { signature: `v1,${Buffer.alloc(32).toString("base64")}` },
    ],
    ["a signature of another body", "svix-signature does not match", { signature: "v1,bm90IGl0" }],
    ["a timestamp 6 minutes old", "more than 5 minutes", { timestamp: Math.floor(NOW / 1_000) - 360 }],
    ["a timestamp 6 minutes ahead", "more than 5 minutes", { timestamp: Math.floor(NOW / 1_000) + 360 }],
  ])("refuses %s with 401 and stores nothing", async (_what, message, options) => {
    const { delivery, emailId } = await sentEmail();
    const call = await hook("email.delivered", emailId, {}, options);
    expect(call.status).toBe(401);
    expect(JSON.parse(call.response).message).toContain(message);
    expect((await deliveryRow(delivery.id)).deliveredAt).toBeNull();
  });

  it("refuses a call signed with another secret", async () => {
    const { delivery, emailId } = await sentEmail();
    const call = await fake.sendWebhook(hookUrl, newWebhookSecret(), {
      type: "email.bounced",
      data: { email_id: emailId },
    });
    expect(call.status).toBe(401);
    expect(await deliveryRow(delivery.id)).toMatchObject({ bouncedAt: null });
    expect(await database.db.suppression.count({ where: { address: delivery.recipient ?? "" } })).toBe(0);
  });

  it("accepts any one matching signature of several, as while a secret rotates", async () => {
    const { delivery, emailId } = await sentEmail();
    const timestamp = Math.floor(NOW / 1_000);
    const body = JSON.stringify({
      type: "email.delivered",
      created_at: new Date(NOW).toISOString(),
      data: { email_id: emailId },
    });
    const signature = `${svixSignature(newWebhookSecret(), "msg_rotating", timestamp, body)} ${svixSignature(SECRET, "msg_rotating", timestamp, body)}`;
    const call = await hook(
      "email.delivered",
      emailId,
      {},
      { id: "msg_rotating", timestamp, rawBody: body, signature },
    );
    expect(call.status).toBe(200);
    expect((await deliveryRow(delivery.id)).deliveredAt).toEqual(new Date(NOW));
  });

  it("refuses a call without Svix headers", async () => {
    const response = await fetch(hookUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(401);
  });

  it("answers 503 naming RESEND_WEBHOOK_SECRET when no secret is configured", async () => {
    const response = await unconfigured.inject({ method: "POST", url: "/webhooks/resend", payload: {} });
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toContain("RESEND_WEBHOOK_SECRET");
  });

  it("leaves JSON parsing of the app's other routes as it was", async () => {
    const response = await fetch(`${hookUrl.replace("/webhooks/resend", "")}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await response.json()).toEqual({ got: { a: 1 } });
  });
});

describe("POST /webhooks/resend: events", () => {
  it("fills in sentAt only when it is missing", async () => {
    const { delivery, emailId } = await sentEmail();
    await hook("email.sent", emailId, { created_at: new Date(NOW - 5_000).toISOString() });
    expect((await deliveryRow(delivery.id)).sentAt).toEqual(new Date(NOW));
    await database.db.delivery.update({ where: { id: delivery.id }, data: { sentAt: null } });
    await hook("email.sent", emailId, { created_at: new Date(NOW - 5_000).toISOString() });
    expect((await deliveryRow(delivery.id)).sentAt).toEqual(new Date(NOW - 5_000));
  });

  it("records the first open and the first click, whatever order they arrive in", async () => {
    const { delivery, emailId } = await sentEmail();
    const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();
    const click = {
      ipAddress: "203.0.113.9",
      link: "https://shop.test/sale",
      timestamp: at(3),
      userAgent: "Mail",
    };
    expect(JSON.parse((await hook("email.opened", emailId, { created_at: at(2) })).response).outcome).toBe(
      "recorded",
    );
    expect(JSON.parse((await hook("email.opened", emailId, { created_at: at(9) })).response).outcome).toBe(
      "unchanged",
    );
    await hook("email.opened", emailId, { created_at: at(1) });
    await hook("email.clicked", emailId, { created_at: at(3), data: { email_id: emailId, click } });
    await hook("email.clicked", emailId, { created_at: at(8), data: { email_id: emailId, click } });
    expect(await deliveryRow(delivery.id)).toMatchObject({
      openedAt: new Date(at(1)),
      clickedAt: new Date(at(3)),
    });
  });

  it("on a permanent bounce, records bouncedAt and suppresses the address for all email", async () => {
    const { customer, delivery, emailId, email } = await sentEmail();
    const bounce = { type: "Permanent", subType: "General", message: "550 5.1.1 user unknown" };
    const call = await hook("email.bounced", emailId, { data: { email_id: emailId, bounce } });
    expect(call.status).toBe(200);
    expect((await deliveryRow(delivery.id)).bouncedAt).toEqual(new Date(NOW));
    expect(await suppressionsOf(customer.id)).toMatchObject([
      { channel: "email", address: email, reason: "bounced", source: "resend", customerId: customer.id },
    ]);
  });

  it("on a transient bounce, records bouncedAt but keeps the address", async () => {
    const { customer, delivery, emailId } = await sentEmail();
    const bounce = { type: "Transient", subType: "MailboxFull", message: "mailbox full" };
    await hook("email.bounced", emailId, { data: { email_id: emailId, bounce } });
    expect((await deliveryRow(delivery.id)).bouncedAt).toEqual(new Date(NOW));
    expect(await suppressionsOf(customer.id)).toEqual([]);
  });

  it("treats a bounce of unknown kind as permanent, and turns an unsubscribe into a bounce", async () => {
    const { customer, emailId, email } = await sentEmail();
    await database.db.suppression.create({
      data: {
        channel: "email",
        address: email,
        customerId: customer.id,
        reason: "unsubscribed",
        source: "link",
      },
    });
    await hook("email.bounced", emailId);
    expect(await suppressionsOf(customer.id)).toMatchObject([
      { address: email, reason: "bounced", source: "resend" },
    ]);
  });

  it("on a complaint, suppresses the address and records the customer's email consent as denied", async () => {
    const { customer, emailId, email } = await sentEmail();
    const call = await hook("email.complained", emailId);
    expect(JSON.parse(call.response).outcome).toBe("recorded");
    expect(await suppressionsOf(customer.id)).toMatchObject([
      { address: email, reason: "complained", source: "resend" },
    ]);
    const row = await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(row.consent).toEqual({
      email: { status: "denied", at: new Date(NOW).toISOString(), via: "resend_complaint" },
    });
  });

  it("changes nothing when Svix redelivers the same call", async () => {
    const { customer, delivery, emailId } = await sentEmail();
    const first = await hook("email.complained", emailId);
    const before = [await deliveryRow(delivery.id), await suppressionsOf(customer.id)];
    const consentBefore = (await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } }))
      .consent;
    clock.advance(60_000);
    try {
      const again = await hook(
        "email.complained",
        emailId,
        {},
        { id: first.headers["svix-id"], rawBody: first.body },
      );
      expect([again.status, JSON.parse(again.response).outcome]).toEqual([200, "unchanged"]);
      expect([await deliveryRow(delivery.id), await suppressionsOf(customer.id)]).toEqual(before);
      const consentAfter = (await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } }))
        .consent;
      expect(consentAfter).toEqual(consentBefore);
    } finally {
      clock.set(NOW);
    }
  });

  it("acknowledges delivery_delayed and event types it does not use without changing anything", async () => {
    const { delivery, emailId } = await sentEmail();
    const delayed = await hook("email.delivery_delayed", emailId);
    const contactEvent = {
      type: "contact.created",
      created_at: new Date(NOW).toISOString(),
      data: { id: "c1" },
    };
    const contact = await hook("contact.created", "", {}, { rawBody: JSON.stringify(contactEvent) });
    expect([delayed.status, contact.status]).toEqual([200, 200]);
    expect(JSON.parse(delayed.response).outcome).toBe("ignored");
    expect(await deliveryRow(delivery.id)).toMatchObject({
      deliveredAt: null,
      bouncedAt: null,
      openedAt: null,
    });
  });

  it("acknowledges an event about an email Rapport did not send", async () => {
    const call = await hook("email.delivered", randomUUID());
    expect([call.status, JSON.parse(call.response).outcome]).toEqual([200, "unknown_email"]);
  });

  it("answers 400 for a signed body that is not JSON", async () => {
    const call = await hook("email.delivered", "x", {}, { rawBody: "{not json" });
    expect(call.status).toBe(400);
    expect(JSON.parse(call.response).message).toMatch(/^malformed JSON body/);
  });

  it("answers 400 naming the missing field", async () => {
    const body = JSON.stringify({
      type: "email.delivered",
      created_at: new Date(NOW).toISOString(),
      data: { to: ["a@b.c"] },
    });
    const call = await hook("email.delivered", "x", {}, { rawBody: body });
    expect(call.status).toBe(400);
    expect(JSON.parse(call.response)).toMatchObject({ error: "invalid_body", path: "data.email_id" });
  });
});

describe("POST /webhooks/resend: bounces and complaints with no Delivery", () => {
  const permanent = { type: "Permanent", subType: "General", message: "mailbox does not exist" };

  it("suppresses a permanently bounced address no Delivery knows (sent before it was recorded, or by another tool)", async () => {
    const address = `${randomUUID()}@example.com`;
    const customer = await database.db.customer.create({ data: { email: address } });

    const call = await hook("email.bounced", randomUUID(), {
      data: { email_id: randomUUID(), to: [address.toUpperCase()], bounce: permanent },
    });

    expect([call.status, JSON.parse(call.response).outcome]).toEqual([200, "suppressed_by_address"]);
    expect(await database.db.suppression.findMany({ where: { address } })).toEqual([
      expect.objectContaining({
        channel: "email",
        reason: "bounced",
        source: "resend",
        customerId: customer.id,
      }),
    ]);
  });

  it("suppresses an address that belongs to no customer, and keeps a transient bounce's address", async () => {
    const stranger = `${randomUUID()}@example.com`;
    const busy = `${randomUUID()}@example.com`;

    await hook("email.bounced", "", { data: { email_id: randomUUID(), to: [stranger], bounce: permanent } });
    await hook("email.bounced", "", {
      data: { email_id: randomUUID(), to: [busy], bounce: { ...permanent, type: "Transient" } },
    });

    expect(await database.db.suppression.findMany({ where: { address: stranger } })).toEqual([
      expect.objectContaining({ reason: "bounced", customerId: null }),
    ]);
    expect(await database.db.suppression.count({ where: { address: busy } })).toBe(0);
  });

  it("suppresses a complaining address no Delivery knows and denies its customer's email consent", async () => {
    const address = `${randomUUID()}@example.com`;
    const customer = await database.db.customer.create({ data: { email: address } });

    const call = await hook("email.complained", "", { data: { email_id: randomUUID(), to: [address] } });

    expect(JSON.parse(call.response).outcome).toBe("suppressed_by_address");
    expect(await database.db.suppression.findMany({ where: { address } })).toEqual([
      expect.objectContaining({ reason: "complained", customerId: customer.id }),
    ]);
    const consent = (await database.db.customer.findUniqueOrThrow({ where: { id: customer.id } })).consent;
    expect(consent).toMatchObject({ email: { status: "denied", via: "resend_complaint" } });
  });
});
