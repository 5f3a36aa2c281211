import { Worker } from "bullmq";
import { manualClock } from "../lib/clock.ts";
import { Prisma } from "../lib/db/index.ts";
import { silentLogger } from "../lib/logger.ts";
import { createTemplateStore } from "../templates/index.ts";
// Not exported from workers/index.ts (startWorkers is, but it also starts the events, plan and campaign
// workers and the clock): the bench runs the deliver worker alone.
import { startDeliverWorker } from "../workers/deliver.ts";
import { fanOut, type LiveCampaign, QUEUE, queueFor } from "../workers/index.ts";
import { DUE_NOW, deliverYaml, fanOutTarget, NOW, ship } from "./campaigns.ts";
import { type CountingChannel, noopBatchChannel, noopChannel } from "./channels.ts";
import { drain } from "./drain.ts";
import { countingDb } from "./instrument.ts";
import { perSecond } from "./measure.ts";
import { type ResultRow, row } from "./report.ts";
import type { Scratch } from "./scratch.ts";
import { INVALID_ZONE } from "./seed.ts";

/** No-op jobs per addBulk when filling the raw queue. */
const RAW_BULK = 1_000;

// a customer whose stored timezone is not an IANA name fails at render time (the Telegram job fails for good):
// left out, so the runs measure sending rather than that failure
const RENDERABLE = `c.timezone IS DISTINCT FROM '${INVALID_ZONE}'`;

/** Who can be reached on each channel (a Telegram chat, an email address) and rendered for: a condition over `c`. */
const REACHABLE = {
  telegram: `EXISTS (SELECT 1 FROM "Identity" i WHERE i."customerId" = c.id AND i.channel = 'telegram') AND ${RENDERABLE}`,
  email: `c.email IS NOT NULL AND ${RENDERABLE}`,
} as const;

/** One channel's run: our worker over the fanned-out deliveries, a raw worker over as many no-op jobs. */
export interface ChannelRun {
  deliveries: number;
  jobs: number;
  sent: number;
  outcomes: Record<string, number>;
  oursMs: number;
  rawMs: number;
  /** CPU this process spent during our run (the worker; PostgreSQL and Redis are other processes). */
  oursCpuMs: number;
  /** Prisma calls our worker made, by name, per delivery. */
  dbCallsPerDelivery: Record<string, number>;
}

async function runChannel(
  scratch: Scratch,
  channel: CountingChannel,
  deliveries: number,
  concurrency: number,
): Promise<ChannelRun> {
  const name = channel.name as "telegram" | "email";
  await scratch.resetRuns();
  const shipped = await ship(scratch.db, deliverYaml(name), `bench-deliver-${name}.yaml`);
  // the first `deliveries` reachable customers by id: the audience is cut by keyset, as fanOut reads it
  const { rows } = await scratch.sql.query<{ id: string }>(
    `SELECT c.id FROM "Customer" c WHERE ${REACHABLE[name]} ORDER BY c.id OFFSET $1 LIMIT 1`,
    [deliveries - 1],
  );
  const last = rows[0]?.id;
  const clock = manualClock(NOW.getTime());
  const planned = await fanOut(
    { db: scratch.db, queues: scratch.queues, clock, log: silentLogger },
    fanOutTarget(shipped, {
      extra: Prisma.sql`${Prisma.raw(REACHABLE[name])} AND c.id <= ${last ?? "ffffffff-ffff-ffff-ffff-ffffffffffff"}::uuid`,
      due: DUE_NOW,
    }),
  );
  const counts = await queueFor(scratch.queues, QUEUE.deliver(name)).getJobCounts("waiting", "delayed");
  if (counts.delayed) throw new Error(`${counts.delayed} ${name} jobs are delayed: the bench expects none`);
  const jobs = counts.waiting ?? 0;

  const live: LiveCampaign = { campaign: shipped.campaign, versionId: shipped.versionId, status: "active" };
  const calls = new Map<string, number>();
  const templates = createTemplateStore();
  const cpuBefore = process.cpuUsage();
  const ours = await drain(scratch, jobs, () =>
    startDeliverWorker(
      {
        db: countingDb(scratch.db, calls),
        clock,
        log: silentLogger,
        campaign: (id) => (id === shipped.campaign.id ? live : undefined),
        templates,
        publicUrl: "https://bench.example",
        unsubscribeSecret: "bench-unsubscribe-secret-0123456789abcdef",
        connection: scratch.redis,
        prefix: scratch.queues.prefix,
        concurrency,
      },
      channel,
    ),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const outcomes = await scratch.db.$queryRaw<Array<{ outcome: string; n: number }>>(Prisma.sql`
    SELECT status::text || COALESCE(':' || reason, '') AS outcome, count(*)::int AS n FROM "Delivery"
    WHERE "campaignId" = ${shipped.campaign.id} GROUP BY 1 ORDER BY 1`);

  const rawName = `bench-raw-deliver-${name}`;
  const rawQueue = queueFor(scratch.queues, rawName);
  for (let i = 0; i < jobs; i += RAW_BULK) {
    const size = Math.min(RAW_BULK, jobs - i);
    await rawQueue.addBulk(Array.from({ length: size }, (_, k) => ({ name: "noop", data: { i: i + k } })));
  }
  const raw = await drain(
    scratch,
    jobs,
    () =>
      new Worker(rawName, async () => {}, {
        connection: scratch.redis,
        prefix: scratch.queues.prefix,
        concurrency,
      }),
  );
  await scratch.resetRuns();
  return {
    deliveries: planned.queued,
    jobs,
    sent: channel.sent(),
    outcomes: Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])),
    oursMs: Math.round(ours.ms),
    rawMs: Math.round(raw.ms),
    oursCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    dbCallsPerDelivery: Object.fromEntries(
      [...calls].map(([call, n]) => [call, Math.round((n / Math.max(planned.queued, 1)) * 100) / 100]),
    ),
  };
}

/** What the deliver runs report beyond their rows. */
export interface DeliverDetails {
  concurrency: { telegram: number; email: number };
  telegram: ChannelRun;
  email: ChannelRun;
}

/**
 * deliver: the real deliver worker (send-time checks, rendering, recording) with a no-op channel, over
 * deliveries a fan-out queued, against a raw BullMQ worker with a no-op processor at the same concurrency
 * over as many no-op jobs. Telegram: one job per message. Email: batch jobs of up to 100 emails through a
 * BatchChannel, reported as emails/s (the raw worker moving as many jobs, × the emails they carry).
 */
export async function benchDeliver(
  scratch: Scratch,
  options: { deliveries: number; concurrency: number; emailConcurrency: number },
): Promise<{ rows: ResultRow[]; details: DeliverDetails }> {
  const telegram = await runChannel(
    scratch,
    noopChannel("telegram"),
    options.deliveries,
    options.concurrency,
  );
  const email = await runChannel(scratch, noopBatchChannel(), options.deliveries, options.emailConcurrency);
  const rate = (run: ChannelRun, ms: number) => perSecond(run.deliveries, ms);
  for (const [label, run] of [
    ["telegram", telegram],
    ["email", email],
  ] as const) {
    console.log(
      `deliver ${label}: ${run.deliveries.toLocaleString("en")} deliveries in ${run.jobs.toLocaleString("en")} ` +
        `jobs, ${run.oursMs} ms (${Math.round(rate(run, run.oursMs))}/s); raw no-op worker ${run.rawMs} ms`,
    );
  }
  return {
    rows: [
      row(
        "deliver (telegram)",
        rate(telegram, telegram.oursMs),
        rate(telegram, telegram.rawMs),
        "deliveries/s",
        `raw Worker, no-op processor, concurrency ${options.concurrency}`,
      ),
      row(
        "deliver (email, batches of 100)",
        rate(email, email.oursMs),
        rate(email, email.rawMs),
        "emails/s",
        `raw Worker over as many jobs × emails per job, concurrency ${options.emailConcurrency}`,
      ),
    ],
    details: {
      concurrency: { telegram: options.concurrency, email: options.emailConcurrency },
      telegram,
      email,
    },
  };
}
