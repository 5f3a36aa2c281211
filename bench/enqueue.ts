import type { Queue } from "bullmq";
import { manualClock } from "../lib/clock.ts";
import { Prisma } from "../lib/db/index.ts";
// Not exported from workers/index.ts (only the single enqueueDelivery is): what is measured is the engine's
// own bulk path, so the bench reaches into the room that owns it.
import { enqueueDeliveries } from "../workers/deliver-queue.ts";
import { QUEUE, queueFor } from "../workers/index.ts";
import { NOW, PROMO_YAML, ship } from "./campaigns.ts";
import { perSecond, timed } from "./measure.ts";
import { type ResultRow, row } from "./report.ts";
import type { Scratch } from "./scratch.ts";

type Planned = Parameters<typeof enqueueDeliveries>[1][number];

/** Deliveries per enqueueDeliveries call: fanOut's chunk of customers. */
const CHUNK = 2_000;
/** No-op jobs per raw addBulk. */
const RAW_BULK = 1_000;
/** Deliveries of the one-call run (its cost grows faster than linearly: see the README). */
const ONE_CALL_MAX = 20_000;

async function jobsQueued(scratch: Scratch): Promise<number> {
  let total = 0;
  for (const channel of ["telegram", "email"] as const) {
    const counts = await queueFor(scratch.queues, QUEUE.deliver(channel)).getJobCounts("waiting", "delayed");
    total += (counts.waiting ?? 0) + (counts.delayed ?? 0);
  }
  return total;
}

/** What the enqueue run reports beyond its row. */
export interface EnqueueDetails {
  deliveries: number;
  telegram: number;
  email: number;
  jobs: number;
  chunk: number;
  /** addBulk calls ours made (and the fair baseline repeats), and the no-op ceiling's. */
  addBulkCalls: { ours: number; noop: number };
  /** Each run's wall time, in the order measured. */
  oursMs: number[];
  fairMs: number[];
  noopMs: number[];
  /** Deliveries per second of our median run. */
  deliveriesPerSecond: number;
  /** The same deliveries (at most 20 000) queued by one call. */
  oneCall: { deliveries: number; ms: number; deliveriesPerSecond: number };
}

/** One `addBulk` call of ours: the queue and the jobs exactly as passed. */
interface BulkCall {
  queue: Queue;
  jobs: Parameters<Queue["addBulk"]>[0];
}

/**
 * The `addBulk` calls `fn` makes on the deliver queues, recorded instead of sent: nothing reaches Redis.
 * What the fair baseline replays.
 */
async function recordAddBulk(scratch: Scratch, fn: () => Promise<void>): Promise<BulkCall[]> {
  const calls: BulkCall[] = [];
  const queues = (["telegram", "email"] as const).map((channel) =>
    queueFor(scratch.queues, QUEUE.deliver(channel)),
  );
  const originals = queues.map((queue) => queue.addBulk);
  for (const queue of queues) {
    const recording: Queue["addBulk"] = async (jobs) => {
      calls.push({ queue, jobs: structuredClone(jobs) });
      return [];
    };
    queue.addBulk = recording;
  }
  try {
    await fn();
  } finally {
    queues.forEach((queue, i) => {
      queue.addBulk = originals[i]!;
    });
  }
  return calls;
}

/**
 * enqueue: `enqueueDeliveries()` of `count` planned Deliveries (Telegram → one job each, campaign email →
 * batch jobs of 100), in fanOut's chunks, `runs` times, each followed by the fair baseline (raw `addBulk`
 * of the very jobs ours made, names, data and options, into the same queues in the same calls) and the no-op
 * ceiling (raw `addBulk` of as many no-op jobs without options, 1 000 a call).
 */
export async function benchEnqueue(
  scratch: Scratch,
  count: number,
  runs: number,
): Promise<{ rows: ResultRow[]; details: EnqueueDetails }> {
  const shipped = await ship(scratch.db, PROMO_YAML, "bench-promo.yaml");
  await scratch.resetRuns();
  const { rows } = await scratch.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM "Customer"');
  const rounds = Math.ceil(count / Math.max(rows[0]?.n ?? 1, 1));
  const planned = await scratch.db.$queryRaw<Planned[]>(Prisma.sql`
    INSERT INTO "Delivery" (key, kind, "campaignId", "campaignVersionId", step, "customerId", channel, status,
      template, locale, data, recipient, "scheduledAt")
    SELECT 'd/bench-promo/main/' || c.id::text || '/enqueue-' || g::text, 'marketing', ${shipped.campaign.id},
      ${shipped.versionId}::uuid, 'main', c.id,
      (CASE WHEN i."externalId" IS NOT NULL THEN 'telegram' ELSE 'email' END)::"Channel", 'planned', 'promo',
      c.locale, '{}'::jsonb, COALESCE(i."externalId", c.email), ${NOW}
    FROM generate_series(1, ${rounds}::int) g
    CROSS JOIN "Customer" c
    LEFT JOIN LATERAL (SELECT "externalId" FROM "Identity" WHERE "customerId" = c.id AND channel = 'telegram'
      LIMIT 1) i ON true
    ORDER BY g, c.id LIMIT ${count}
    RETURNING id, key, channel::text AS channel, "scheduledAt", "campaignId"`);
  const telegram = planned.filter((d) => d.channel === "telegram").length;
  const deps = { db: scratch.db, queues: scratch.queues, clock: manualClock(NOW.getTime()) };
  const enqueueAll = async () => {
    for (let i = 0; i < planned.length; i += CHUNK)
      await enqueueDeliveries(deps, planned.slice(i, i + CHUNK));
  };
  const replan = () =>
    scratch.db.$executeRaw(Prisma.sql`UPDATE "Delivery" SET status = 'planned', "queuedAt" = NULL`);

  // ours' jobs, recorded once (untimed; it also warms up the code): what the fair baseline sends
  const calls = await recordAddBulk(scratch, enqueueAll);
  const jobs = calls.reduce((n, call) => n + call.jobs.length, 0);
  await replan();

  const rawQueue = queueFor(scratch.queues, "bench-raw-enqueue");
  const noopCalls = Math.ceil(jobs / RAW_BULK);
  const oursMs: number[] = [];
  const fairMs: number[] = [];
  const noopMs: number[] = [];
  for (let run = 1; run <= runs; run++) {
    await scratch.clearQueues();
    await scratch.sql.query('VACUUM ANALYZE "Delivery"');
    const ours = await timed(enqueueAll);
    const queued = await jobsQueued(scratch);
    if (queued !== jobs) throw new Error(`enqueueDeliveries queued ${queued} jobs, recorded ${jobs}`);
    oursMs.push(ours.ms);
    await replan();

    await scratch.clearQueues();
    const replay = calls.map((call) => ({ queue: call.queue, jobs: structuredClone(call.jobs) }));
    const fair = await timed(async () => {
      for (const call of replay) await call.queue.addBulk(call.jobs);
    });
    fairMs.push(fair.ms);

    await scratch.clearQueues();
    const noop = await timed(async () => {
      for (let i = 0; i < jobs; i += RAW_BULK) {
        const size = Math.min(RAW_BULK, jobs - i);
        await rawQueue.addBulk(
          Array.from({ length: size }, (_, k) => ({ name: "noop", data: { i: i + k } })),
        );
      }
    });
    noopMs.push(noop.ms);
    const of = runs > 1 ? ` (run ${run} of ${runs})` : "";
    console.log(
      `enqueue${of}: ${planned.length.toLocaleString("en")} deliveries → ${jobs.toLocaleString("en")} jobs in ` +
        `${Math.round(ours.ms)} ms (${Math.round(perSecond(jobs, ours.ms))} jobs/s); the same jobs by raw ` +
        `addBulk ${Math.round(fair.ms)} ms; no-op jobs ${Math.round(noop.ms)} ms`,
    );
  }

  // the same deliveries again in ONE call, as a sweep or a caller with a large list would make it
  await scratch.clearQueues();
  const oneCall = planned.slice(0, Math.min(planned.length, ONE_CALL_MAX));
  const single = await timed(() => enqueueDeliveries(deps, oneCall));
  await scratch.resetRuns();

  const result = row(
    "enqueue",
    "jobs/s",
    {
      ours: oursMs.map((ms) => perSecond(jobs, ms)),
      fair: fairMs.map((ms) => perSecond(jobs, ms)),
      noop: noopMs.map((ms) => perSecond(jobs, ms)),
    },
    `raw addBulk of the same jobs (data and options), in the same ${calls.length} calls`,
    `raw addBulk of no-op jobs without options, ${RAW_BULK} a call`,
  );
  return {
    rows: [result],
    details: {
      deliveries: planned.length,
      telegram,
      email: planned.length - telegram,
      jobs,
      chunk: CHUNK,
      addBulkCalls: { ours: calls.length, noop: noopCalls },
      oursMs: oursMs.map(Math.round),
      fairMs: fairMs.map(Math.round),
      noopMs: noopMs.map(Math.round),
      deliveriesPerSecond: (result.ours.median * planned.length) / Math.max(jobs, 1),
      oneCall: {
        deliveries: oneCall.length,
        ms: Math.round(single.ms),
        deliveriesPerSecond: perSecond(oneCall.length, single.ms),
      },
    },
  };
}
