import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noSegments } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import {
  closeQueues,
  createAudiences,
  processRfm,
  QUEUE,
  type QueueContext,
  queueFor,
  type RfmJob,
  startRfmSchedule,
} from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = Date.parse("2026-12-07T03:00:00Z");
const DAY = 86_400_000;
let queues: QueueContext;

beforeAll(() => {
  queues = { connection: redis.redis, prefix: redis.prefix };
});
afterAll(async () => {
  await closeQueues(queues);
});

describe("the nightly RFM refresh", () => {
  it("registers one scheduler at 03:00 UTC on the rfm queue, however often it is called", async () => {
    await startRfmSchedule(queues);
    await startRfmSchedule(queues);
    const queue = queueFor<RfmJob>(queues, QUEUE.rfm);
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({
      key: "rfm-nightly",
      name: "refresh",
      pattern: "0 3 * * *",
      tz: "UTC",
    });
    const next = await queue.getJobs(["delayed", "waiting"]);
    expect(next.map((job) => job.data)).toEqual([expect.objectContaining({ kind: "refresh" })]);
    await queue.obliterate({ force: true });
  });

  it("a refresh job scores the buyers at the clock's time, money in the loaded base currency", async () => {
    // A: 100 EUR 10 days ago; B: 800 PLN (200 EUR at 0.25) 20 days ago. Two buyers: ranks 0 and 1 → 1 and 5.
    for (const [name, daysAgo, value, currency] of [
      ["A", 10, "100.00", "EUR"],
      ["B", 20, "800.00", "PLN"],
    ] as const) {
      const customer = await database.db.customer.create({
        data: { name, lastPurchaseAt: new Date(NOW - daysAgo * DAY) },
      });
      await database.db.event.create({
        data: {
          customerId: customer.id,
          type: "purchase",
          externalId: `order-${name}`,
          value,
          currency,
          occurredAt: new Date(NOW - daysAgo * DAY),
        },
      });
    }
    const audiences = createAudiences(() =>
      noSegments("segments.yaml", { base: "EUR", rates: { EUR: "1", PLN: "0.25" } }),
    );
    const processor = processRfm({
      db: database.db,
      clock: manualClock(NOW),
      log: silentLogger,
      money: () => audiences.money(),
    });
    const worker = new Worker<RfmJob>(QUEUE.rfm, processor, {
      connection: redis.redis.duplicate(),
      prefix: redis.prefix,
    });
    const done = new Promise((resolve, reject) => {
      worker.on("completed", resolve);
      worker.on("failed", (_job, error) => reject(error));
    });
    await queueFor<RfmJob>(queues, QUEUE.rfm).add("refresh", { kind: "refresh" });
    await done;
    await worker.close();
    const rows = await database.db.customerRfm.findMany({
      include: { customer: { select: { name: true } } },
    });
    expect(rows.map((r) => [r.customer.name, r.recency, r.frequency, r.monetary, r.segment]).sort()).toEqual([
      ["A", 5, 1, 1, "new"],
      ["B", 1, 1, 5, "hibernating"],
    ]);
    expect(rows.every((r) => r.computedAt.getTime() === NOW)).toBe(true);
  });
});
