import type { Worker } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createResendChannel } from "../../bots/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { startDeliverWorker } from "../../workers/deliver.ts";
import { type DeliverJob, enqueueDeliveries } from "../../workers/deliver-queue.ts";
import {
  DELIVER_ATTEMPTS,
  DELIVER_BACKOFF,
  DELIVER_RETRY,
  isLastTry,
  type RetryPolicy,
  retryDelayMs,
} from "../../workers/deliver-retry.ts";
import { closeQueues, QUEUE, type QueueContext, queueFor } from "../../workers/index.ts";
import { type FakeResend, startFakeResend } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { deletePrefix, randomPrefix, useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

describe("retryDelayMs", () => {
  it("doubles from 2 s and stays at 15 s, however long the failures go on", () => {
    const top = () => 0; // no jitter taken off
    expect([1, 2, 3, 4, 5, 10, 100, 10_000].map((n) => retryDelayMs(n, DELIVER_RETRY, top))).toEqual([
      2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000, 15_000,
    ]);
  });

  it("takes up to a fifth off at random, never more, never past the cap", () => {
    const low = () => 0.999_999;
    expect(retryDelayMs(1, DELIVER_RETRY, low)).toBe(1_600);
    expect(retryDelayMs(50, DELIVER_RETRY, low)).toBe(12_000);
    for (let failures = 1; failures <= 60; failures++) {
      const pause = retryDelayMs(failures);
      expect(pause).toBeGreaterThanOrEqual(0.8 * Math.min(15_000, 2_000 * 2 ** (failures - 1)));
      expect(pause).toBeLessThanOrEqual(15_000);
    }
  });
});

describe("isLastTry", () => {
  const job = (attemptsMade: number, failingSince?: number) => ({
    attemptsMade,
    opts: { attempts: DELIVER_ATTEMPTS },
    data: { failingSince },
  });
  const now = Date.parse("2026-12-07T12:00:00Z");

  it("keeps trying past ten attempts while the window lasts", () => {
    expect(isLastTry(job(0), now)).toBe(false);
    expect(isLastTry(job(50, now - 10 * 60_000), now)).toBe(false);
    expect(isLastTry(job(500, now - 23 * 3_600_000), now)).toBe(false);
  });

  it("ends once the failures have lasted the whole window, or the attempts are used up", () => {
    expect(isLastTry(job(5_000, now - 24 * 3_600_000), now)).toBe(true);
    expect(isLastTry(job(DELIVER_ATTEMPTS - 1), now)).toBe(true);
    // a job queued before this policy keeps its own attempts
    expect(isLastTry({ attemptsMade: 9, opts: { attempts: 10 }, data: {} }, now)).toBe(true);
  });
});

const database = useTestDatabase();
const redis = useTestRedis();
let resend: FakeResend;
let worker: Worker<DeliverJob> | undefined;
let queues: QueueContext;

/** A queued email reply to a new customer, queued as the engine queues it; returns its Delivery. */
async function queuedEmail(tag: string) {
  const email = `${tag}@example.com`;
  const customer = await database.db.customer.create({ data: { email, name: tag } });
  const delivery = await database.db.delivery.create({
    data: {
      key: `r/${tag}/${customer.id}`,
      kind: "transactional",
      customerId: customer.id,
      channel: "email",
      status: "planned",
      recipient: email,
      data: { text: `Hello ${tag}` },
    },
  });
  await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, [
    { ...delivery, channel: "email" as const },
  ]);
  return delivery;
}

/** The email deliver worker, retrying by `retry` (short pauses, so a test needs no minutes). */
function startWorker(retry: RetryPolicy) {
  worker = startDeliverWorker(
    {
      db: database.db,
      clock: systemClock,
      log: silentLogger,
      templates: createTemplateStore(),
      publicUrl: "https://crm.acme.example",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: () => undefined,
      connection: redis.redis,
      prefix: queues.prefix,
      concurrency: 5,
      retry,
    },
    createResendChannel({
      apiKey: resend.apiKey,
      baseUrl: resend.baseUrl,
      from: "Kopi Kita <hi@kopikita.example>",
    }),
  );
}

const callsTo = (address: string) =>
  resend.requests.filter((r) => (r.body as { to?: unknown } | undefined)?.to?.toString() === address);

describe("a deliver job against a provider answering 5xx", () => {
  beforeAll(async () => {
    resend = await startFakeResend({ rateLimit: Number.POSITIVE_INFINITY });
  });
  afterEach(async () => {
    await worker?.close();
    worker = undefined;
    resend.failSome(0, {});
    await closeQueues(queues);
    await deletePrefix(redis.redis, queues.prefix);
  });
  afterAll(async () => {
    await resend?.close();
  });

  it("is queued with the capped backoff and an attempt bound far past the window", async () => {
    queues = { connection: redis.redis, prefix: randomPrefix() };
    const delivery = await queuedEmail("queued");
    const job = await queueFor<DeliverJob>(queues, QUEUE.deliver("email")).getJob(delivery.key);
    expect(job?.opts).toMatchObject({ attempts: DELIVER_ATTEMPTS, backoff: { type: DELIVER_BACKOFF } });
  });

  it("rides out a storm of more failures than the old ten attempts, at capped pauses, and sends once", async () => {
    queues = { connection: redis.redis, prefix: randomPrefix() };
    const delivery = await queuedEmail("storm");
    resend.failNext({ status: 500, times: 14 });
    const started = Date.now();
    // uncapped, the 14th pause alone would be 50 ms × 2^13 ≈ 7 min
    startWorker({ firstMs: 50, capMs: 200, windowMs: 10 * 60_000 });

    const row = await waitFor(
      "the email to be sent",
      () => database.db.delivery.findFirst({ where: { id: delivery.id, status: "sent" } }),
      60_000,
    );
    expect(Date.now() - started).toBeLessThan(60_000);
    const calls = callsTo(delivery.recipient!);
    expect(calls.map((c) => c.status)).toEqual([...Array<number>(14).fill(500), 200]);
    expect(resend.emails.filter((e) => e.to.includes(delivery.recipient!))).toHaveLength(1);
    expect(row).toMatchObject({ providerId: resend.emails.at(-1)!.id, reason: null, failedAt: null });
    const job = await queueFor<DeliverJob>(queues, QUEUE.deliver("email")).getJob(delivery.key);
    // 14 failed tries and the one that sent
    expect(job?.attemptsMade).toBe(15);
    expect(job?.data.failingSince).toBeGreaterThanOrEqual(started);
  }, 90_000);

  it("fails the Delivery for good once the failures have lasted the whole window", async () => {
    queues = { connection: redis.redis, prefix: randomPrefix() };
    const delivery = await queuedEmail("outage");
    resend.failSome(1, { status: 503 });
    startWorker({ firstMs: 50, capMs: 200, windowMs: 2_000 });

    const row = await waitFor(
      "the delivery to fail",
      () => database.db.delivery.findFirst({ where: { id: delivery.id, status: "failed" } }),
      60_000,
    );
    expect(row).toMatchObject({ reason: "retries_exhausted" });
    const calls = callsTo(delivery.recipient!);
    expect(calls.length).toBeGreaterThan(3);
    expect(calls.every((c) => c.status === 503)).toBe(true);
    // tried for the whole window from the first failure, and not once after the Delivery failed
    expect(calls.at(-1)!.receivedAt - calls[0]!.receivedAt).toBeGreaterThanOrEqual(2_000);
    const job = await queueFor<DeliverJob>(queues, QUEUE.deliver("email")).getJob(delivery.key);
    expect(await job?.getState()).toBe("failed");
    expect(resend.emails.filter((e) => e.to.includes(delivery.recipient!))).toHaveLength(0);
  }, 90_000);
});
