import type { Worker } from "bullmq";
import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Channel, createResendChannel } from "../../bots/index.ts";
import { createTelegramChannel } from "../../bots/telegram/channel.ts";
import { systemClock } from "../../lib/clock.ts";
import { TransientSendError } from "../../lib/errors.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { deliverOne, startDeliverWorker } from "../../workers/deliver.ts";
import { deliverBatch } from "../../workers/deliver-batch.ts";
import { type DeliverJob, enqueueDeliveries } from "../../workers/deliver-queue.ts";
import { closeQueues, type QueueContext, retryDelivery } from "../../workers/index.ts";
import { SendTimeoutError } from "../../workers/send-timeout.ts";
import { type FakeResend, type FakeTelegram, startFakeResend, startFakeTelegram } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { freePort } from "../support/process.ts";
import { deletePrefix, randomPrefix, useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
/** Short, so a hung call is given up quickly; the fakes answer in ms, but this machine may be busy. */
const SEND_TIMEOUT_MS = 2_000;

let telegram: FakeTelegram;
let resend: FakeResend;
let worker: Worker<DeliverJob> | undefined;
let queues: QueueContext | undefined;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  resend = await startFakeResend({ rateLimit: 1_000 });
});
afterEach(async () => {
  telegram.failSome("sendMessage", 0, { status: 0 });
  resend.failSome(0, {});
  await worker?.close();
  worker = undefined;
  if (queues) {
    await closeQueues(queues);
    await deletePrefix(redis.redis, queues.prefix);
    queues = undefined;
  }
});
afterAll(async () => {
  await telegram?.close();
  await resend?.close();
});

const deps = () => ({
  db: database.db,
  clock: systemClock,
  log: silentLogger,
  templates: createTemplateStore(),
  publicUrl: "https://crm.acme.example",
  unsubscribeSecret: "unsubscribe-secret-0123456789",
  campaign: () => undefined,
  sendTimeoutMs: SEND_TIMEOUT_MS,
});

const telegramChannel = (apiRoot = telegram.apiRoot) =>
  createTelegramChannel(new Api(telegram.token, { apiRoot }));
const resendChannel = () =>
  createResendChannel({ apiKey: resend.apiKey, baseUrl: resend.baseUrl, from: "Acme <hi@acme.example>" });

let chatSeq = 700_000;
/** Queued replies, one customer and one chat (or address) each. */
async function queued(channel: "telegram" | "email", count: number, tag: string) {
  const customers = await database.db.customer.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({ name: `${tag} ${i}` })),
  });
  return database.db.delivery.createManyAndReturn({
    data: customers.map((customer, i) => ({
      key: `r/${tag}/${customer.id}`,
      kind: "transactional" as const,
      customerId: customer.id,
      channel,
      status: "queued" as const,
      recipient: channel === "telegram" ? String(++chatSeq) : `${tag}-${i}@example.com`,
      data: { text: `Hello ${tag} ${i}`, ...(channel === "email" ? { subject: `Hi ${i}` } : {}) },
    })),
  });
}

/** A deliver worker for `channel`, at concurrency 10, with the short send timeout. */
async function run(channel: Channel, deliveries: Awaited<ReturnType<typeof queued>>) {
  queues = { connection: redis.redis, prefix: randomPrefix() };
  worker = startDeliverWorker(
    { ...deps(), connection: redis.redis, prefix: queues.prefix, concurrency: 10 },
    channel,
  );
  await enqueueDeliveries(
    { db: database.db, queues, clock: systemClock },
    deliveries.map((d) => ({ ...d, channel: d.channel as "telegram" | "email" })),
  );
  return waitFor(
    "every delivery final",
    async () => {
      const rows = await database.db.delivery.findMany({
        where: { id: { in: deliveries.map((d) => d.id) } },
      });
      return rows.every((r) => r.status === "sent" || r.status === "failed") ? rows : undefined;
    },
    60_000,
  );
}

const callsTo = (chatId: string) =>
  telegram.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === chatId);
const messagesTo = (chatId: string) => telegram.sent.filter((m) => String(m.chat.id) === chatId);

describe("Telegram, which has no idempotency key: at most once", () => {
  it("a send Telegram took but never answered is failed unknown_outcome, never sent again; the rest are sent once", async () => {
    const deliveries = await queued("telegram", 40, "hang");
    // every tenth call: Telegram shows the message, and the answer never comes
    telegram.failSome("sendMessage", 0.1, { status: 0, hang: true, acceptThenFail: true });
    const started = Date.now();
    const rows = await run(telegramChannel(), deliveries);
    const took = Date.now() - started;

    expect(rows).toHaveLength(40);
    const unknown = rows.filter((r) => r.status === "failed");
    expect(unknown).toHaveLength(4);
    for (const row of unknown) {
      expect(row).toMatchObject({ reason: "unknown_outcome" });
      expect(row.error).toMatch(/no answer within 2000 ms/);
      expect(callsTo(row.recipient!)).toHaveLength(1);
      expect(callsTo(row.recipient!)[0]!.status).toBe(-1);
      expect(messagesTo(row.recipient!)).toHaveLength(1);
    }
    const sent = rows.filter((r) => r.status === "sent");
    expect(sent).toHaveLength(36);
    for (const row of sent) {
      expect(callsTo(row.recipient!)).toHaveLength(1);
      expect(messagesTo(row.recipient!)).toHaveLength(1);
    }
    // given up after the timeout, not after grammY's 500 s
    expect(took).toBeLessThan(20_000);
  }, 90_000);

  it("a 5xx answer proves it was not sent: retried and sent once", async () => {
    const [delivery] = await queued("telegram", 1, "bad-gateway");
    telegram.failNext("sendMessage", { status: 502 });
    const rows = await run(telegramChannel(), [delivery!]);

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "sent", attempts: 2 });
    expect(callsTo(delivery!.recipient!).map((c) => c.status)).toEqual([502, 200]);
    expect(messagesTo(delivery!.recipient!)).toHaveLength(1);
  }, 60_000);

  it("a connection cut after the request is unknown_outcome: not sent again", async () => {
    const [delivery] = await queued("telegram", 1, "cut");
    telegram.failNext("sendMessage", { status: 0, dropConnection: true, acceptThenFail: true });
    const rows = await run(telegramChannel(), [delivery!]);

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "failed", reason: "unknown_outcome" });
    expect(callsTo(delivery!.recipient!)).toHaveLength(1);
  }, 60_000);

  it("a refused connection proves it was not sent: the attempt is counted and the send left free to retry", async () => {
    const [delivery] = await queued("telegram", 1, "refused");
    const closed = `http://127.0.0.1:${await freePort()}`;

    const error = await deliverOne(deps(), telegramChannel(closed), delivery!.id, false).catch((e) => e);

    expect(error).toBeInstanceOf(TransientSendError);
    expect((error as TransientSendError).notSent).toBe(true);
    const row = await database.db.delivery.findUniqueOrThrow({ where: { id: delivery!.id } });
    expect(row).toMatchObject({ status: "queued", attempts: 1, sendStartedAt: null });
    // and the next attempt, Telegram reachable again, sends it
    await deliverOne(deps(), telegramChannel(), delivery!.id, false);
    expect(messagesTo(delivery!.recipient!)).toHaveLength(1);
  });

  it("a send a crashed worker began (sendStartedAt left set) is failed unknown_outcome without calling Telegram", async () => {
    const [delivery] = await queued("telegram", 1, "crashed");
    const began = new Date("2026-12-07T02:00:00Z");
    await database.db.delivery.update({ where: { id: delivery!.id }, data: { sendStartedAt: began } });

    await expect(deliverOne(deps(), telegramChannel(), delivery!.id, false)).rejects.toThrow(
      /a send began at 2026-12-07T02:00:00.000Z and its answer never came/,
    );

    const row = await database.db.delivery.findUniqueOrThrow({ where: { id: delivery!.id } });
    expect(row).toMatchObject({ status: "failed", reason: "unknown_outcome" });
    expect(callsTo(delivery!.recipient!)).toEqual([]);

    // staff who checked choose to send it again (the console's retry): it goes out
    queues = { connection: redis.redis, prefix: randomPrefix() };
    expect(await retryDelivery({ db: database.db, queues, clock: systemClock }, delivery!.id)).toEqual({
      kind: "queued",
    });
    await deliverOne(deps(), telegramChannel(), delivery!.id, false);
    expect(messagesTo(delivery!.recipient!)).toHaveLength(1);
    expect(await database.db.delivery.findUniqueOrThrow({ where: { id: delivery!.id } })).toMatchObject({
      status: "sent",
    });
  });
});

describe("email, sent under an idempotency key: exactly once", () => {
  it("emails whose answers never came are sent again under the same key: each address gets one email", async () => {
    const deliveries = await queued("email", 30, "mail-hang");
    // every fifth request hangs after Resend stored the email
    resend.failSome(0.2, { hang: true, acceptThenFail: true });
    const rows = await run(resendChannel(), deliveries);

    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(resend.requests.filter((r) => r.status === -1).length).toBeGreaterThanOrEqual(6);
    for (const row of rows) {
      expect(resend.emails.filter((e) => e.to.includes(row.recipient!))).toHaveLength(1);
    }
  }, 90_000);

  it("a batch whose answer never came is given up after the timeout, and its retry sends nothing twice", async () => {
    const deliveries = await queued("email", 3, "batch-hang");
    const job = { batchKey: `b/hang/${deliveries[0]!.id}`, deliveryIds: deliveries.map((d) => d.id) };
    resend.failNext({ hang: true, acceptThenFail: true });

    const started = Date.now();
    await expect(deliverBatch(deps(), resendChannel(), job, false)).rejects.toBeInstanceOf(SendTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    await deliverBatch(deps(), resendChannel(), job, false);

    const rows = await database.db.delivery.findMany({ where: { id: { in: job.deliveryIds } } });
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    for (const row of rows) {
      expect(resend.emails.filter((e) => e.to.includes(row.recipient!))).toHaveLength(1);
    }
  });
});
