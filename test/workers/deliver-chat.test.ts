import type { Worker } from "bullmq";
import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../../bots/index.ts";
import { createTelegramChannel } from "../../bots/telegram/channel.ts";
import { compileCampaign } from "../../campaigns/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { startDeliverWorker } from "../../workers/deliver.ts";
import { deliverBatch } from "../../workers/deliver-batch.ts";
import { type DeliverJob, enqueueDeliveries } from "../../workers/deliver-queue.ts";
import {
  type CampaignRegistry,
  closeQueues,
  createCampaignRegistry,
  QUEUE,
  type QueueContext,
  queueFor,
  shipCampaign,
} from "../../workers/index.ts";
import { type FakeTelegram, startFakeTelegram } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { deletePrefix, randomPrefix, useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const PROMO = compileCampaign(
  `id: chat-batch-test
name: Chat batch test
kind: marketing
trigger: { inactive: { for: 60d } }
channels: [telegram]
message: { template: promo, data: { headline: "Year-end sale", discount: 20, code: VIP20, endsAt: "2026-12-18T22:59:59Z" } }
`,
  "chat-batch-test.yaml",
);

let telegram: FakeTelegram;
let registry: CampaignRegistry;
let worker: Worker<DeliverJob> | undefined;
let queues: QueueContext | undefined;

beforeAll(async () => {
  telegram = await startFakeTelegram();
  await shipCampaign(database.db, PROMO, "", { activate: true });
  registry = await createCampaignRegistry({ db: database.db, log: silentLogger, refreshMs: 60_000 });
});
afterEach(async () => {
  await worker?.close();
  worker = undefined;
  if (queues) {
    await closeQueues(queues);
    await deletePrefix(redis.redis, queues.prefix);
    queues = undefined;
  }
});
afterAll(async () => {
  registry?.close();
  await telegram?.close();
});

const deps = () => ({
  db: database.db,
  clock: systemClock,
  log: silentLogger,
  templates: createTemplateStore(),
  publicUrl: "https://crm.acme.example",
  unsubscribeSecret: "unsubscribe-secret-0123456789",
  campaign: (id: string) => registry.get(id),
});

const telegramChannel = (): Channel =>
  createTelegramChannel(new Api(telegram.token, { apiRoot: telegram.apiRoot }));

let chatSeq = 760_000;
/** Queued campaign messages on Telegram, one customer and one chat each, consent granted. */
async function queued(count: number, tag: string) {
  const customers = await database.db.customer.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({
      name: `${tag} ${i}`,
      locale: "en",
      timezone: "Asia/Jakarta",
      consent: { telegram: { status: "granted", at: "2026-01-01T00:00:00.000Z", via: "test" } },
    })),
  });
  return database.db.delivery.createManyAndReturn({
    data: customers.map((customer) => ({
      key: `d/chat-batch-test/main/${customer.id}/1`,
      kind: "marketing" as const,
      campaignId: PROMO.id,
      step: "main",
      customerId: customer.id,
      channel: "telegram" as const,
      status: "planned" as const,
      template: "promo",
      locale: "en",
      recipient: String(++chatSeq),
      data: {
        headline: "Year-end sale",
        discount: 20,
        code: "VIP20",
        endsAt: "2026-12-18T22:59:59Z",
        brand: { name: "Kopi Kita", url: "https://kopikita.example" },
      },
    })),
  });
}

/** The messages the fake Telegram holds for each of these chats. */
const messagesTo = (chats: readonly string[]) =>
  chats.map((chat) => telegram.sent.filter((m) => String(m.chat.id) === chat).length);

function startWorker(channel: Channel) {
  queues = { connection: redis.redis, prefix: randomPrefix() };
  worker = startDeliverWorker(
    { ...deps(), connection: redis.redis, prefix: queues.prefix, concurrency: 5 },
    channel,
  );
  return queues;
}

const rowsOf = (ids: readonly string[]) =>
  database.db.delivery.findMany({ where: { id: { in: [...ids] } }, orderBy: { key: "asc" } });

async function allFinal(ids: readonly string[], timeoutMs = 30_000) {
  return waitFor(
    "every delivery to be final",
    async () => {
      const rows = await rowsOf(ids);
      return rows.every((r) => r.status !== "queued" && r.status !== "planned") ? rows : undefined;
    },
    timeoutMs,
  );
}

describe("campaign messages on a chat channel, a batch at a time", () => {
  it("queues a campaign's 120 Telegram messages as 3 batch jobs, and each chat gets its message exactly once", async () => {
    const deliveries = await queued(120, "many");
    const q = startWorker(telegramChannel());
    await enqueueDeliveries({ db: database.db, queues: q, clock: systemClock }, deliveries);
    const rows = await allFinal(deliveries.map((d) => d.id));

    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(rows.every((r) => r.attempts === 1 && r.sendStartedAt !== null)).toBe(true);
    expect(messagesTo(deliveries.map((d) => d.recipient!))).toEqual(deliveries.map(() => 1));
    expect(telegram.sent.find((m) => m.chat.id === Number(deliveries[0]!.recipient))?.text).toMatch(
      /Year-end sale\n20% off with code VIP20/,
    );
    expect(
      await database.db.interaction.count({ where: { deliveryId: { in: rows.map((r) => r.id) } } }),
    ).toBe(120);
    const counts = await queueFor(q, QUEUE.deliver("telegram")).getJobCounts("completed", "failed");
    expect(counts).toEqual({ completed: 3, failed: 0 });
  });

  it("skips a suppressed and an opted-out member and sends the others", async () => {
    const deliveries = await queued(5, "held");
    const [, suppressed, optedOut] = deliveries;
    await database.db.suppression.create({
      data: { channel: "telegram", address: suppressed!.recipient!, reason: "unsubscribed" },
    });
    await database.db.customer.update({
      where: { id: optedOut!.customerId },
      data: { consent: { telegram: { status: "denied", at: "2026-02-01T00:00:00.000Z", via: "stop" } } },
    });

    await deliverBatch(
      deps(),
      telegramChannel(),
      { batchKey: "b/chat-batch-test/held", deliveryIds: deliveries.map((d) => d.id) },
      false,
    );

    const byId = new Map((await rowsOf(deliveries.map((d) => d.id))).map((r) => [r.id, r]));
    expect(byId.get(suppressed!.id)).toMatchObject({ status: "suppressed", reason: "unsubscribed" });
    expect(byId.get(optedOut!.id)).toMatchObject({ status: "suppressed", reason: "opted_out" });
    const others = deliveries.filter((d) => d !== suppressed && d !== optedOut);
    for (const d of others) expect(byId.get(d.id)).toMatchObject({ status: "sent" });
    expect(messagesTo(deliveries.map((d) => d.recipient!))).toEqual([1, 0, 0, 1, 1]);
  });

  it("fails only the member Telegram refuses for good; the others are sent", async () => {
    const deliveries = await queued(4, "blocked");
    telegram.markChatBlocked(Number(deliveries[1]!.recipient));

    await deliverBatch(
      deps(),
      telegramChannel(),
      { batchKey: "b/chat-batch-test/blocked", deliveryIds: deliveries.map((d) => d.id) },
      false,
    );

    const byId = new Map((await rowsOf(deliveries.map((d) => d.id))).map((r) => [r.id, r]));
    expect(deliveries.map((d) => [byId.get(d.id)!.status, byId.get(d.id)!.reason])).toEqual(
      deliveries.map((_, i) => (i === 1 ? ["failed", "rejected"] : ["sent", null])),
    );
    expect(byId.get(deliveries[1]!.id)!.error).toMatch(/403/);
    expect(messagesTo(deliveries.map((d) => d.recipient!))).toEqual([1, 0, 1, 1]);
  });

  it("on a 429 mid-batch sends nothing twice, and the rest goes after the pause without spending an attempt", async () => {
    const deliveries = await queued(10, "storm");
    const chats = deliveries.map((d) => d.recipient!);
    const inner = telegramChannel();
    let sends = 0;
    const channel: Channel = {
      ...inner,
      async send(message, key, options) {
        // the fourth message of the batch draws Telegram's 429
        if (++sends === 4) telegram.failNext("sendMessage", { status: 429, retryAfter: 1 });
        return inner.send(message, key, options);
      },
    };
    const q = startWorker(channel);
    await enqueueDeliveries({ db: database.db, queues: q, clock: systemClock }, deliveries);
    const rows = await allFinal(deliveries.map((d) => d.id));

    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    // a 429 is the provider's signal, not a failed attempt
    expect(rows.map((r) => r.attempts)).toEqual(deliveries.map(() => 1));
    expect(messagesTo(chats)).toEqual(chats.map(() => 1));
    const calls = telegram.calls.filter(
      (c) => c.method === "sendMessage" && chats.includes(String(c.params.chat_id)),
    );
    const refused = calls.filter((c) => c.status === 429);
    expect(refused).toHaveLength(1);
    // the refused message and the rest of the batch came back no sooner than Telegram asked
    const after = calls.filter((c) => c.at > refused[0]!.at);
    expect(after).toHaveLength(7);
    expect(Math.min(...after.map((c) => c.at)) - refused[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it("on a 502 mid-batch records what went out and tries the rest again: each chat once, one attempt more for the refused", async () => {
    const deliveries = await queued(6, "bad-gateway");
    const chats = deliveries.map((d) => d.recipient!);
    const inner = telegramChannel();
    let sends = 0;
    const channel: Channel = {
      ...inner,
      async send(message, key, options) {
        // Telegram answers the third message with its own 502: proven not sent
        if (++sends === 3) telegram.failNext("sendMessage", { status: 502 });
        return inner.send(message, key, options);
      },
    };
    const q = startWorker(channel);
    await enqueueDeliveries({ db: database.db, queues: q, clock: systemClock }, deliveries);
    const rows = await allFinal(deliveries.map((d) => d.id));

    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(messagesTo(chats)).toEqual(chats.map(() => 1));
    const calls = telegram.calls.filter(
      (c) => c.method === "sendMessage" && chats.includes(String(c.params.chat_id)),
    );
    const refused = calls.find((c) => c.status === 502)!;
    expect(calls).toHaveLength(7);
    // the refused one spent an attempt; the ones sent before it were recorded once, the rest were sent later
    const attempts = new Map(rows.map((r) => [r.recipient, r.attempts]));
    expect(attempts.get(String(refused.params.chat_id))).toBe(2);
    expect([...attempts.values()].filter((n) => n === 1)).toHaveLength(5);
  });

  it("fails only the member whose send may have gone out (the connection cut after Telegram took it): unknown_outcome, never sent again", async () => {
    const deliveries = await queued(4, "cut");
    const inner = telegramChannel();
    let sends = 0;
    const channel: Channel = {
      ...inner,
      async send(message, key, options) {
        if (++sends === 2)
          telegram.failNext("sendMessage", { status: 200, dropConnection: true, acceptThenFail: true });
        return inner.send(message, key, options);
      },
    };

    await deliverBatch(
      deps(),
      channel,
      { batchKey: "b/chat-batch-test/cut", deliveryIds: deliveries.map((d) => d.id) },
      false,
    );
    // the same job again (redelivered) sends nothing
    await deliverBatch(
      deps(),
      channel,
      { batchKey: "b/chat-batch-test/cut", deliveryIds: deliveries.map((d) => d.id) },
      false,
    );

    const rows = await rowsOf(deliveries.map((d) => d.id));
    const failed = rows.filter((r) => r.status === "failed");
    expect(failed.map((r) => r.reason)).toEqual(["unknown_outcome"]);
    expect(rows.filter((r) => r.status === "sent")).toHaveLength(3);
    // Telegram took all four, each once
    expect(messagesTo(deliveries.map((d) => d.recipient!))).toEqual([1, 1, 1, 1]);
  });

  it("a lost answer to the statement marking sends begun: nothing of the chunk was sent, so the retry sends it, each chat once", async () => {
    const deliveries = await queued(5, "lost-mark");
    const chats = deliveries.map((d) => d.recipient!);
    // the database edge: the first mark statement is carried out, then its connection drops before the answer
    let cut = false;
    const db = new Proxy(database.db, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "$queryRaw") return typeof value === "function" ? value.bind(target) : value;
        return async (query: { sql?: string }, ...rest: unknown[]) => {
          const answer = await (value as (...args: unknown[]) => Promise<unknown>).call(
            target,
            query,
            ...rest,
          );
          if (!cut && query.sql?.includes('SET "sendStartedAt" =')) {
            cut = true;
            throw new Error("Connection terminated unexpectedly");
          }
          return answer;
        };
      },
    });
    queues = { connection: redis.redis, prefix: randomPrefix() };
    worker = startDeliverWorker(
      { ...deps(), db, connection: redis.redis, prefix: queues.prefix, concurrency: 5 },
      telegramChannel(),
    );
    await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, deliveries);
    const rows = await allFinal(deliveries.map((d) => d.id));

    expect(cut).toBe(true);
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(messagesTo(chats)).toEqual(chats.map(() => 1));
  });

  it("keeps the channel's rate per message, evenly: 20 messages of one batch at 5 per 500 ms, never 5 within 300 ms", async () => {
    const deliveries = await queued(20, "paced");
    const chats = deliveries.map((d) => d.recipient!);
    const q = startWorker({ ...telegramChannel(), limit: { max: 5, durationMs: 500 } });
    await enqueueDeliveries({ db: database.db, queues: q, clock: systemClock }, deliveries);
    const rows = await allFinal(deliveries.map((d) => d.id));

    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    expect(await queueFor(q, QUEUE.deliver("telegram")).getJobCounts("completed")).toEqual({ completed: 1 });
    const at = telegram.calls
      .filter((c) => c.method === "sendMessage" && chats.includes(String(c.params.chat_id)))
      .map((c) => c.at)
      .sort((a, b) => a - b);
    expect(at).toHaveLength(20);
    // BullMQ's limiter counts the job once; each message of it takes its own send, one every 100 ms: the
    // provider counts any second, so a window's worth sent in a burst would already be too many
    const spans = at.slice(4).map((t, i) => t - at[i]!);
    expect(Math.min(...spans)).toBeGreaterThanOrEqual(300);
  });
});
