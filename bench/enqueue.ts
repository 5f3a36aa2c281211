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
  oursMs: number;
  rawMs: number;
  deliveriesPerSecond: number;
  /** The same deliveries (at most 20 000) queued by one call. */
  oneCall: { deliveries: number; ms: number; deliveriesPerSecond: number };
}

/**
 * enqueue: `enqueueDeliveries()` of `count` planned Deliveries (Telegram → one job each, campaign email →
 * batch jobs of 100), in fanOut's chunks, against raw `queue.addBulk` of as many no-op jobs.
 */
export async function benchEnqueue(
  scratch: Scratch,
  count: number,
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

  const ours = await timed(async () => {
    for (let i = 0; i < planned.length; i += CHUNK)
      await enqueueDeliveries(deps, planned.slice(i, i + CHUNK));
  });
  const jobs = await jobsQueued(scratch);

  const rawQueue = queueFor(scratch.queues, "bench-raw-enqueue");
  const raw = await timed(async () => {
    for (let i = 0; i < jobs; i += RAW_BULK) {
      const size = Math.min(RAW_BULK, jobs - i);
      await rawQueue.addBulk(Array.from({ length: size }, (_, k) => ({ name: "noop", data: { i: i + k } })));
    }
  });

  // the same deliveries again in ONE call, as a sweep or a caller with a large list would make it
  await scratch.clearQueues();
  const oneCall = planned.slice(0, Math.min(planned.length, ONE_CALL_MAX));
  await scratch.db.$executeRaw(Prisma.sql`UPDATE "Delivery" SET status = 'planned', "queuedAt" = NULL`);
  const single = await timed(() => enqueueDeliveries(deps, oneCall));
  await scratch.resetRuns();

  const oursRate = perSecond(jobs, ours.ms);
  const rawRate = perSecond(jobs, raw.ms);
  console.log(
    `enqueue: ${planned.length.toLocaleString("en")} deliveries → ${jobs.toLocaleString("en")} jobs in ` +
      `${Math.round(ours.ms)} ms (${Math.round(oursRate)} jobs/s), raw addBulk in ${Math.round(raw.ms)} ms ` +
      `(${Math.round(rawRate)} jobs/s)`,
  );
  return {
    rows: [row("enqueue", oursRate, rawRate, "jobs/s", `raw addBulk of no-op jobs, ${RAW_BULK} a call`)],
    details: {
      deliveries: planned.length,
      telegram,
      email: planned.length - telegram,
      jobs,
      chunk: CHUNK,
      oursMs: Math.round(ours.ms),
      rawMs: Math.round(raw.ms),
      deliveriesPerSecond: perSecond(planned.length, ours.ms),
      oneCall: {
        deliveries: oneCall.length,
        ms: Math.round(single.ms),
        deliveriesPerSecond: perSecond(oneCall.length, single.ms),
      },
    },
  };
}
