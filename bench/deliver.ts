import { Worker } from "bullmq";
import { manualClock } from "../lib/clock.ts";
import { Prisma } from "../lib/db/index.ts";
import { silentLogger } from "../lib/logger.ts";
import { createTemplateStore } from "../templates/index.ts";
// Not exported from workers/index.ts (startWorkers is, but it also starts the events, plan and campaign
// workers and the clock): the bench runs the deliver worker alone.
import { startDeliverWorker } from "../workers/deliver.ts";
import { EMAIL_BATCH_SIZE } from "../workers/deliver-queue.ts";
import { fanOut, type LiveCampaign, QUEUE, queueFor } from "../workers/index.ts";
import { DUE_NOW, deliverYaml, fanOutTarget, NOW, type ShippedCampaign, ship } from "./campaigns.ts";
import { type CountingChannel, noopBatchChannel, noopChannel } from "./channels.ts";
import { drain } from "./drain.ts";
import { type FairDeliverRun, fairDeliver } from "./fair-deliver.ts";
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

/** One run of one channel: our worker, the fair baseline and the no-op ceiling over as many deliveries. */
export interface ChannelRun {
  deliveries: number;
  jobs: number;
  sent: number;
  outcomes: Record<string, number>;
  oursMs: number;
  /** CPU this process spent during our run (the worker; PostgreSQL and Redis are other processes). */
  oursCpuMs: number;
  /** Prisma calls our worker made, by name, per delivery. */
  dbCallsPerDelivery: Record<string, number>;
  /** The fair baseline (bench/fair-deliver.ts) over the same deliveries, queued again. */
  fair: FairDeliverRun;
  /** A raw BullMQ worker with a no-op processor over as many no-op jobs. */
  noopMs: number;
}

/** Puts the deliveries our worker sent back as they were queued, and empties the Interactions it wrote. */
async function requeue(scratch: Scratch, campaignId: string): Promise<number> {
  const { rowCount } = await scratch.sql.query(
    `UPDATE "Delivery" SET status = 'queued', "sentAt" = NULL, "providerId" = NULL, "sendStartedAt" = NULL,
       "batchKey" = NULL, attempts = 0, error = NULL
     WHERE "campaignId" = $1 AND status = 'sent'`,
    [campaignId],
  );
  await scratch.sql.query('TRUNCATE "Interaction", "ListeningHit"');
  await scratch.sql.query('VACUUM ANALYZE "Delivery", "Interaction"');
  return rowCount ?? 0;
}

async function runChannel(
  scratch: Scratch,
  shipped: ShippedCampaign,
  channel: CountingChannel,
  fairChannel: CountingChannel,
  options: { deliveries: number; concurrency: number; claim: number },
): Promise<ChannelRun> {
  const name = channel.name as "telegram" | "email";
  const { concurrency } = options;
  await scratch.resetRuns();
  // the first `deliveries` reachable customers by id: the audience is cut by keyset, as fanOut reads it
  const { rows } = await scratch.sql.query<{ id: string }>(
    `SELECT c.id FROM "Customer" c WHERE ${REACHABLE[name]} ORDER BY c.id OFFSET $1 LIMIT 1`,
    [options.deliveries - 1],
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
  await scratch.sql.query('VACUUM ANALYZE "Delivery", "Interaction"');

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
  const sent = channel.sent();

  // the fair baseline: the same deliveries, queued again, sent by hand-written SQL at the same concurrency
  const requeued = await requeue(scratch, shipped.campaign.id);
  const fair = await fairDeliver({
    url: scratch.url,
    poolSize: scratch.poolSize,
    concurrency: Math.min(concurrency, channel.limit.max),
    claim: options.claim,
    channel: fairChannel,
    batch: name === "email",
    now: NOW,
  });
  if (fair.sent !== requeued)
    throw new Error(`fair ${name} baseline sent ${fair.sent} of ${requeued} deliveries`);

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
    sent,
    outcomes: Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])),
    oursMs: Math.round(ours.ms),
    oursCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    dbCallsPerDelivery: Object.fromEntries(
      [...calls].map(([call, n]) => [call, Math.round((n / Math.max(planned.queued, 1)) * 100) / 100]),
    ),
    fair: { ...fair, ms: Math.round(fair.ms) },
    noopMs: Math.round(raw.ms),
  };
}

/** What the deliver runs report beyond their rows. */
export interface DeliverDetails {
  concurrency: { telegram: number; email: number };
  /** Deliveries the fair baseline claims per statement, per channel. */
  claim: { telegram: number; email: number };
  /** Every run, in the order measured. */
  telegram: ChannelRun[];
  email: ChannelRun[];
}

/**
 * deliver: the real deliver worker (send-time checks, rendering, recording) with a no-op channel, over
 * deliveries a fan-out queued, `runs` times; each run followed by the fair baseline over the same deliveries
 * (bench/fair-deliver.ts) and the no-op ceiling (a raw BullMQ worker with a no-op processor at the same
 * concurrency over as many no-op jobs). Telegram: one job per message. Email: batch jobs of up to 100 emails
 * through a BatchChannel, reported as emails/s (the no-op worker moving as many jobs, × the emails they carry).
 */
export async function benchDeliver(
  scratch: Scratch,
  options: {
    deliveries: number;
    concurrency: number;
    emailConcurrency: number;
    runs: number;
    telegramClaim: number;
  },
): Promise<{ rows: ResultRow[]; details: DeliverDetails }> {
  const claim = { telegram: options.telegramClaim, email: EMAIL_BATCH_SIZE };
  const runs: DeliverDetails = {
    concurrency: { telegram: options.concurrency, email: options.emailConcurrency },
    claim,
    telegram: [],
    email: [],
  };
  for (const name of ["telegram", "email"] as const) {
    const shipped = await ship(scratch.db, deliverYaml(name), `bench-deliver-${name}.yaml`);
    for (let run = 1; run <= options.runs; run++) {
      const result = await runChannel(
        scratch,
        shipped,
        name === "telegram" ? noopChannel("telegram") : noopBatchChannel(),
        name === "telegram" ? noopChannel("telegram") : noopBatchChannel(),
        { deliveries: options.deliveries, concurrency: runs.concurrency[name], claim: claim[name] },
      );
      runs[name].push(result);
      const of = options.runs > 1 ? ` (run ${run} of ${options.runs})` : "";
      const rate = (ms: number) => Math.round(perSecond(result.deliveries, ms));
      console.log(
        `deliver ${name}${of}: ${result.deliveries.toLocaleString("en")} deliveries in ` +
          `${result.jobs.toLocaleString("en")} jobs, ${result.oursMs} ms (${rate(result.oursMs)}/s); fair ` +
          `baseline ${Math.round(result.fair.ms)} ms (${rate(result.fair.ms)}/s); no-op worker ${result.noopMs} ms`,
      );
    }
  }
  const rates = (list: ChannelRun[]) => ({
    ours: list.map((r) => perSecond(r.deliveries, r.oursMs)),
    fair: list.map((r) => perSecond(r.fair.sent, r.fair.ms)),
    noop: list.map((r) => perSecond(r.deliveries, r.noopMs)),
  });
  const pool = `pool of ${scratch.poolSize}`;
  return {
    rows: [
      row(
        "deliver (telegram)",
        "deliveries/s",
        rates(runs.telegram),
        `raw pg, ${options.concurrency} loops on a ${pool}: claim ${claim.telegram} (UPDATE … SKIP LOCKED), send, record with its Interaction in one statement`,
        `raw Worker, no-op processor, concurrency ${options.concurrency}`,
      ),
      row(
        "deliver (email, batches of 100)",
        "emails/s",
        rates(runs.email),
        `raw pg, ${options.emailConcurrency} loops on a ${pool}: claim 100, one sendBatch, record in one statement`,
        `raw Worker over as many jobs × emails per job, concurrency ${options.emailConcurrency}`,
      ),
    ],
    details: runs,
  };
}
