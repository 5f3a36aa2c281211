import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLiveHub, type LiveEvent } from "../../../console/index.ts";
import { systemClock } from "../../../lib/clock.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { queueStaffReply } from "../../../workers/index.ts";
import {
  envFor,
  type FakeResend,
  newWebhookSecret,
  type ReceivedEmailInput,
  startFakeResend,
  type WebhookSendOptions,
} from "../../fakes/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { refuseRows } from "../../support/refuse-rows.ts";
import { waitFor } from "../../support/wait.ts";

const SECRET = newWebhookSecret();
const database = useTestDatabase();
const redis = useTestRedis();
let resend: FakeResend;
let app: TestApp;
let hookUrl: string;
const live: LiveEvent[] = [];
let hub: ReturnType<typeof createLiveHub>;

beforeAll(async () => {
  resend = await startFakeResend({ rateLimit: Number.POSITIVE_INFINITY });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    env: {
      ...envFor({ resend }),
      RESEND_WEBHOOK_SECRET: SECRET,
      EMAIL_FROM: "Rapport Shop <hello@shop.test>",
      EMAIL_REPLY_TO: "reply@in.shop.test",
    },
  });
  hookUrl = `${app.url}/webhooks/resend`;
  // a console process elsewhere, listening to the live updates every process publishes
  hub = createLiveHub({ redis: redis.redis, prefix: redis.prefix, log: silentLogger });
  hub.subscribe((event) => live.push(event));
  await hub.listening();
});
afterAll(async () => {
  await hub?.close();
  await app?.close();
  await resend?.close();
});

/** A customer's email arrives at Resend, which posts `email.received` to Rapport. */
async function deliverInbound(
  input: Partial<ReceivedEmailInput> & { from: string },
  options?: WebhookSendOptions,
) {
  const email = resend.receive({
    to: ["reply@in.shop.test"],
    subject: "Hello",
    text: "Hello there",
    ...input,
  });
  const call = await resend.sendWebhook(
    hookUrl,
    SECRET,
    { type: "email.received", data: { email_id: email.id } },
    options,
  );
  return { email, call };
}

const inboundOf = (messageId: string) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "email", externalId: messageId } },
    include: { conversation: true },
  });

/** A text as a mail client quotes it under its attribution line. */
const quote = (text: string) =>
  text
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");

let orderSeq = 0;
/** A purchase: the shipped thank-you campaign emails the customer; returns the email and its Delivery. */
async function thankYouSentTo(email: string, name: string) {
  const response = await app.postEvent({
    type: "purchase",
    orderId: `IN-${++orderSeq}-${randomUUID()}`,
    customer: { email, name, locale: "en" },
    total: "20.00",
    currency: "USD",
    items: [{ sku: "MUG", name: "Mug", quantity: 1, price: 20 }],
  });
  expect(response.status).toBe(201);
  const sent = await waitFor("the thank-you at Resend", () =>
    resend.emails.find((e) => e.to.includes(email)),
  );
  const delivery = await waitFor("the thank-you recorded as sent", () =>
    database.db.delivery.findFirst({
      where: { recipient: email, status: "sent", campaignId: { not: null } },
    }),
  );
  return { sent, delivery };
}

describe("POST /webhooks/resend: email.received", () => {
  it("threads a reply to a thank-you email into that customer's conversation, quoted history stripped", async () => {
    const address = `jan-${randomUUID()}@example.com`;
    const { sent, delivery } = await thankYouSentTo(address, "Jan Kowalski");
    const ourId = sent.headers["Message-ID"];
    expect(ourId).toBe(`<${delivery.id}@shop.test>`);
    expect(sent.reply_to).toEqual(["reply@in.shop.test"]);

    const quoted = `The mug is lovely, thank you!\n\nOn Sat, 14 Mar 2026 at 10:00, Rapport Shop <hello@shop.test> wrote:\n> ${sent.text?.split("\n")[0]}\n`;
    const { email, call } = await deliverInbound({
      from: `Jan Kowalski <${address.toUpperCase()}>`,
      subject: `Re: ${sent.subject}`,
      text: quoted,
      inReplyTo: ourId,
      references: ourId,
    });
    expect(call.status).toBe(200);

    const row = await inboundOf(email.message_id);
    expect(row).toMatchObject({
      direction: "inbound",
      author: "customer",
      text: "The mug is lovely, thank you!",
    });
    expect(row?.customerId).toBe(delivery.customerId);
    expect(row?.conversation).toMatchObject({ channel: "email", threadRef: address, status: "open" });
    expect(row?.raw).toMatchObject({
      email: {
        subject: `Re: ${sent.subject}`,
        messageId: email.message_id,
        inReplyTo: [ourId],
        repliedDeliveryId: delivery.id,
        fullText: quoted,
        from: `Jan Kowalski <${address.toUpperCase()}>`,
      },
      resend: { event: { email_id: email.id }, email: { id: email.id, text: quoted } },
    });
    expect(JSON.stringify(row?.raw)).not.toContain("download_url");
    expect(resend.requests.filter((r) => r.path === `/emails/receiving/${email.id}`)).toHaveLength(1);

    const next = await deliverInbound({
      from: address,
      subject: `Re: ${sent.subject}`,
      text: "One more thing.",
    });
    expect((await inboundOf(next.email.message_id))?.conversationId).toBe(row?.conversationId);
    const customers = await database.db.customer.count({ where: { email: address } });
    expect(customers).toBe(1);
  });

  it("tells the console's live inbox of the new message, as for every channel", async () => {
    const { email } = await deliverInbound({
      from: `ana-${randomUUID()}@example.com`,
      text: "Is it in stock?",
    });
    const row = await inboundOf(email.message_id);
    expect(row?.conversationId).toBeTruthy();
    await waitFor("the live update", () =>
      live.find(
        (e) =>
          e.kind === "message" && e.interactionId === row?.id && e.conversationId === row?.conversationId,
      ),
    );
  });

  it("stores a redelivered webhook once, without fetching the email again", async () => {
    const from = `redeliver-${randomUUID()}@example.com`;
    const email = resend.receive({ from, to: ["reply@in.shop.test"], subject: "Hi", text: "Once only" });
    const event = { type: "email.received", data: { email_id: email.id } };
    const first = await resend.sendWebhook(hookUrl, SECRET, event, { id: "msg_redelivered_1" });
    const again = await resend.sendWebhook(hookUrl, SECRET, event, { id: "msg_redelivered_1" });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(JSON.parse(again.response)).toMatchObject({ outcome: "duplicate" });
    expect(
      await database.db.interaction.count({ where: { channel: "email", externalId: email.message_id } }),
    ).toBe(1);
    expect(resend.requests.filter((r) => r.path === `/emails/receiving/${email.id}`)).toHaveLength(1);
  });

  it("creates a customer and a conversation for a sender nobody knows", async () => {
    const from = `new-${randomUUID()}@example.com`;
    const { email } = await deliverInbound({
      from: `Maria Nowak <${from}>`,
      subject: "Question",
      text: "Do you sell gift cards?",
    });
    const customer = await database.db.customer.findUniqueOrThrow({
      where: { email: from },
      include: { identities: true, conversations: true },
    });
    expect(customer.name).toBe("Maria Nowak");
    expect(customer.identities.map((i) => [i.channel, i.externalId])).toEqual([["email", from]]);
    expect(customer.conversations).toHaveLength(1);
    expect((await inboundOf(email.message_id))?.conversationId).toBe(customer.conversations[0]?.id);
  });

  it("refuses a bad signature with 401 and stores nothing", async () => {
    const from = `forged-${randomUUID()}@example.com`;
    const { email, call } = await deliverInbound(
      { from, text: "forged" },
      { signature: "v1,bm90IHRoZSByaWdodCBzaWduYXR1cmU=" },
    );
    expect(call.status).toBe(401);
    expect(await inboundOf(email.message_id)).toBeNull();
    expect(await database.db.customer.count({ where: { email: from } })).toBe(0);
    expect(resend.requests.filter((r) => r.path === `/emails/receiving/${email.id}`)).toHaveLength(0);
  });

  it("answers 400 naming the field when the payload does not fit", async () => {
    const email = resend.receive({
      from: "x@example.com",
      to: ["reply@in.shop.test"],
      subject: "x",
      text: "x",
    });
    const call = await resend.sendWebhook(hookUrl, SECRET, {
      type: "email.received",
      data: { email_id: email.id, from: undefined },
    });
    expect(call.status).toBe(400);
    expect(JSON.parse(call.response)).toMatchObject({ error: "invalid_body", path: "data.from" });
    expect(await inboundOf(email.message_id)).toBeNull();
  });

  it("answers 5xx when Resend cannot give the email's body, stores nothing, and takes it in on the retry", async () => {
    const from = `retry-${randomUUID()}@example.com`;
    const email = resend.receive({
      from,
      to: ["reply@in.shop.test"],
      subject: "Hi",
      text: "After the retry",
    });
    const event = { type: "email.received", data: { email_id: email.id } };
    resend.failNext({ status: 500 });
    const failed = await resend.sendWebhook(hookUrl, SECRET, event, { id: "msg_retry_1" });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(failed.response)).toMatchObject({ error: "resend_unavailable" });
    expect(await inboundOf(email.message_id)).toBeNull();
    expect(await database.db.customer.count({ where: { email: from } })).toBe(0);

    const retried = await resend.sendWebhook(hookUrl, SECRET, event, { id: "msg_retry_1" });
    expect(retried.status).toBe(200);
    expect((await inboundOf(email.message_id))?.text).toBe("After the retry");
  });

  it("strips Indonesian and Polish quoted history, and reads an HTML-only email", async () => {
    const id = await deliverInbound({
      from: `budi-${randomUUID()}@example.co.id`,
      text: "Sudah sampai, terima kasih.\n\nPada tanggal Sab, 14 Mar 2026 pukul 10.00 Toko <halo@shop.test> menulis:\n> Terima kasih",
    });
    const pl = await deliverInbound({
      from: `ola-${randomUUID()}@example.pl`,
      text: "Kubki dotarły, dziękuję!\n\nW dniu 14.03.2026 o 10:00, Sklep Rapport pisze:\n> Dziękujemy za zamówienie",
    });
    const html = await deliverInbound({
      from: `html-${randomUUID()}@example.com`,
      text: null,
      html: '<div dir="ltr">Perfect &amp; quick.<br>Thanks</div><div class="gmail_quote">On Sat, 14 Mar 2026, Shop &lt;hello@shop.test&gt; wrote:<blockquote>Your order</blockquote></div>',
    });
    expect((await inboundOf(id.email.message_id))?.text).toBe("Sudah sampai, terima kasih.");
    expect((await inboundOf(pl.email.message_id))?.text).toBe("Kubki dotarły, dziękuję!");
    expect((await inboundOf(html.email.message_id))?.text).toBe("Perfect & quick.\nThanks");
  });

  it("leaves out an out-of-office answer and mail from Rapport's own address", async () => {
    const away = await deliverInbound({
      from: `away-${randomUUID()}@example.com`,
      subject: "Automatic reply: Thank you",
      text: "I am out of the office until Monday.",
      headers: { "Auto-Submitted": "auto-replied" },
    });
    const loop = await deliverInbound({ from: "Rapport Shop <hello@shop.test>", text: "a copy of our own" });
    expect(JSON.parse(away.call.response)).toMatchObject({ outcome: "ignored" });
    expect(JSON.parse(loop.call.response)).toMatchObject({ outcome: "ignored" });
    expect(await inboundOf(away.email.message_id)).toBeNull();
    expect(await inboundOf(loop.email.message_id)).toBeNull();
  });
});

describe("a staff reply to an email conversation", () => {
  it("reaches Resend as a reply: Re: subject, In-Reply-To and References to the customer's last email", async () => {
    const address = `reply-${randomUUID()}@example.com`;
    const first = await deliverInbound({
      from: `Tom <${address}>`,
      subject: "Mug sizes",
      text: "Which sizes do you have?",
    });
    const last = await deliverInbound({
      from: `Tom <${address}>`,
      subject: "Re: Mug sizes",
      text: "And colours?\n\nOn Sat, Tom wrote:\n> Which sizes do you have?",
      inReplyTo: first.email.message_id,
      references: first.email.message_id,
    });
    const conversation = (await inboundOf(last.email.message_id))!.conversation!;
    const staff = await database.db.staffUser.create({
      data: { email: `agent-${randomUUID()}@shop.test`, name: "Agent", passwordHash: "x" },
    });
    const result = await queueStaffReply(
      { db: database.db, queues: app.queues, clock: systemClock },
      {
        key: `r/staff/${randomUUID()}`,
        conversationId: conversation.id,
        staffUserId: staff.id,
        text: "Small and large, in blue and red.",
      },
    );
    expect(result.kind).toBe("queued");
    const sent = await waitFor("the staff reply at Resend", () =>
      resend.emails.find((e) => e.to.includes(address) && e.text?.startsWith("Small and large")),
    );
    expect(sent.from).toBe("Rapport Shop <hello@shop.test>");
    expect(sent.reply_to).toEqual(["reply@in.shop.test"]);
    expect(sent.subject).toBe("Re: Mug sizes");
    expect(sent.headers["In-Reply-To"]).toBe(last.email.message_id);
    expect(sent.headers.References).toBe(`${first.email.message_id} ${last.email.message_id}`);
    expect(sent.headers["Message-ID"]).toMatch(/^<[0-9a-f-]{36}@shop\.test>$/);
    expect(sent.headers["Auto-Submitted"]).toBeUndefined(); // a person wrote it
    expect(sent.text).toContain("Tom <");
    expect(sent.text).toContain("> And colours?");
    expect(sent.html).toContain("<p>Small and large, in blue and red.</p>");

    // the customer answers our reply from their mail client: it lands in the same conversation
    const answer = await deliverInbound({
      from: address,
      subject: "Re: Mug sizes",
      text: `Great, blue please.\n\nOn Sat, 14 Mar 2026 at 11:00, Rapport Shop <hello@shop.test> wrote:\n${quote(sent.text ?? "")}`,
      inReplyTo: sent.headers["Message-ID"],
      references: `${sent.headers.References} ${sent.headers["Message-ID"]}`,
    });
    const stored = await inboundOf(answer.email.message_id);
    expect(stored?.text).toBe("Great, blue please.");
    expect(stored?.conversationId).toBe(conversation.id);
    expect(stored?.raw).toMatchObject({
      email: { repliedDeliveryId: result.kind === "queued" ? result.deliveryId : "" },
    });
  });

  it("threads an answer into the conversation of the email it answers, not the customer's latest", async () => {
    const address = `two-threads-${randomUUID()}@example.com`;
    const first = await deliverInbound({ from: address, subject: "Order 1", text: "Where is order 1?" });
    const older = (await inboundOf(first.email.message_id))!.conversation!;
    // a newer open email conversation of the same customer (started from the console, say)
    const newer = await database.db.conversation.create({
      data: {
        customerId: older.customerId,
        channel: "email",
        threadRef: address,
        lastMessageAt: new Date(Date.now() + 60_000),
      },
    });
    const staff = await database.db.staffUser.create({
      data: { email: `agent-${randomUUID()}@shop.test`, name: "Agent", passwordHash: "x" },
    });
    await queueStaffReply(
      { db: database.db, queues: app.queues, clock: systemClock },
      {
        key: `r/staff/${randomUUID()}`,
        conversationId: older.id,
        staffUserId: staff.id,
        text: "It ships today.",
      },
    );
    const sent = await waitFor("the reply in the older conversation", () =>
      resend.emails.find((e) => e.to.includes(address) && e.text?.startsWith("It ships today")),
    );
    const answer = await deliverInbound({
      from: address,
      subject: "Re: Order 1",
      text: "Thanks!",
      inReplyTo: sent.headers["Message-ID"],
    });
    const stored = await inboundOf(answer.email.message_id);
    expect(stored?.conversationId).toBe(older.id);
    expect(stored?.conversationId).not.toBe(newer.id);
  });

  it("does not link an address written in an email's body to the sender", async () => {
    const address = `signature-${randomUUID()}@example.com`;
    const colleague = `colleague-${randomUUID()}@example.com`;
    const { email } = await deliverInbound({
      from: address,
      subject: "Invoice",
      text: `Please send the invoice to my colleague ${colleague} too.`,
    });
    const stored = await inboundOf(email.message_id);
    expect(stored).toBeTruthy();
    const identities = await database.db.identity.findMany({ where: { customerId: stored!.customerId } });
    expect(identities.map((i) => i.externalId)).toEqual([address]);
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: stored!.customerId } });
    expect(customer.email).not.toBe(colleague);
  });
});

describe("POST /webhooks/resend: an email that cannot be stored", () => {
  it("is kept in InboundFailure and answered 200, and the sender's next email is stored", async () => {
    const allow = await refuseRows(database.db, "Interaction", "text", "POISON-7731");
    try {
      const poison = await deliverInbound({
        from: "stuck.sender@example.com",
        text: "order POISON-7731 broke",
      });
      const next = await deliverInbound({ from: "stuck.sender@example.com", text: "second try, plain text" });

      expect(poison.call.status).toBe(200);
      expect(JSON.parse(poison.call.response)).toMatchObject({ ok: false, kept: expect.any(String) });
      const kept = await database.db.inboundFailure.findMany({ where: { channel: "email" } });
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ sourceKey: poison.email.message_id, count: 1, resolvedAt: null });
      expect(JSON.parse(kept[0]!.payload)).toMatchObject({ email_id: poison.email.id });
      expect(next.call.status).toBe(200);
      expect(await inboundOf(next.email.message_id)).toMatchObject({ text: "second try, plain text" });
    } finally {
      await allow();
    }
  });
});
