import { manualClock } from "../lib/clock.ts";
import { Prisma } from "../lib/db/index.ts";
import { silentLogger } from "../lib/logger.ts";
import { type FanOutResult, fanOut, QUEUE, queueFor } from "../workers/index.ts";
import {
  BRAND,
  type FanOutTarget,
  fanOutTarget,
  NOW,
  PROMO_YAML,
  type ShippedCampaign,
  ship,
} from "./campaigns.ts";
import { type PhaseShare, Phases, timeAddBulk, timedDb } from "./instrument.ts";
import { type MemoryPeak, perSecond, sampleMemory, timed } from "./measure.ts";
import { progressLine } from "./progress.ts";
import { type ResultRow, row } from "./report.ts";
import type { Scratch } from "./scratch.ts";

/** One fan-out, measured. */
interface FanOutRun {
  result: FanOutResult;
  ms: number;
  rowsPerSecond: number;
  memory: MemoryPeak;
  phases: PhaseShare[];
  /** Share of the run spent queueing: `addBulk` plus marking the rows queued. */
  enqueueShare: number;
}

/** What the fan-out run reports beyond its rows. */
export interface FanOutDetails {
  customers: number;
  audience: number;
  queued: number;
  skipped: Record<string, number>;
  /** Each run's wall time, in the order measured: ours, the fair INSERT, the bare-table INSERT. */
  oursMs: number[];
  fairMs: number[];
  noopMs: number[];
  /** Share of the first whole-audience run spent queueing. */
  enqueueShare: number;
  /** Where the first whole-audience run's time went. */
  phases: PhaseShare[];
  /** At a tenth of the audience, then at all of it (the first whole-audience run). */
  memory: Array<MemoryPeak & { audience: number; ms: number }>;
  /** Peak heap growth at the whole audience over that at a tenth. */
  heapGrowthRatio: number;
}

/** A table with Delivery's columns and defaults and nothing else: no index, constraint, trigger or key. */
const BARE = "bench_bare_delivery";

/**
 * One `INSERT … SELECT` of a Delivery row per audience customer into `table`, with no channel logic: the
 * customer's preferred channel (else email), its email as recipient, the message's data with the customer's
 * name and the brand (rows as wide as fanOut's), no consent, caps, quiet hours, coupons or A/B buckets.
 */
function rawInsert(table: string, shipped: ShippedCampaign, where: Prisma.Sql): Prisma.Sql {
  const data = JSON.stringify({ brand: BRAND, ...PROMO_DATA });
  return Prisma.sql`
    INSERT INTO ${Prisma.raw(`"${table}"`)} (key, kind, "campaignId", "campaignVersionId", step, variant,
      "customerId", channel, status, template, locale, data, recipient, "scheduledAt")
    SELECT 'd/raw/main/' || c.id::text || '/once', 'marketing', ${shipped.campaign.id}, ${shipped.versionId}::uuid,
      'main', 'a', c.id, COALESCE(c."preferredChannel", 'email'), 'planned', 'promo', c.locale,
      jsonb_build_object('customer', jsonb_strip_nulls(jsonb_build_object('name', c.name, 'email', c.email)))
        || ${data}::jsonb,
      c.email, ${NOW}
    FROM "Customer" c WHERE c."mergedIntoId" IS NULL AND (${where})`;
}

/** The message data of PROMO_YAML, as a raw plan would copy it into each row. */
const PROMO_DATA = {
  headline: "Winter sale",
  body: "Everything 20% off",
  discount: 20,
  code: "BENCH20-XXXXXXXX",
  endsAt: "2026-12-06T16:59:59Z",
};

async function measuredFanOut(scratch: Scratch, target: FanOutTarget, label: string): Promise<FanOutRun> {
  const phases = new Phases();
  const restore = (["telegram", "email"] as const).map((channel) =>
    timeAddBulk(queueFor(scratch.queues, QUEUE.deliver(channel)), phases),
  );
  const progress = progressLine(label);
  try {
    const deps = {
      db: timedDb(scratch.db, phases),
      queues: scratch.queues,
      clock: manualClock(NOW.getTime()),
      log: silentLogger,
    };
    const { value, memory } = await sampleMemory(() =>
      timed(() => fanOut(deps, { ...target, onProgress: (done, total) => progress.update(done, total) })),
    );
    progress.end();
    const breakdown = phases.breakdown(value.ms);
    const enqueueMs = breakdown.filter((p) => p.phase.startsWith("enqueue:")).reduce((a, p) => a + p.ms, 0);
    // every audience member gets a row, planned or skipped: rows written is the audience
    const written = value.value.audience - value.value.existing;
    return {
      result: value.value,
      ms: Math.round(value.ms),
      rowsPerSecond: perSecond(written, value.ms),
      memory,
      phases: breakdown,
      enqueueShare: enqueueMs / value.ms,
    };
  } finally {
    for (const undo of restore) undo();
  }
}

/**
 * fan-out: `fanOut()` of a marketing campaign (Telegram else email, quiet hours, a unique() coupon, an A/B
 * test with holdout), `runs` times, each followed by the fair baseline (one plain `INSERT INTO "Delivery" …
 * SELECT … FROM "Customer"` of as many rows, into the same empty table with its indexes and triggers) and the
 * no-op ceiling (the same INSERT into a bare table). Memory is sampled at a tenth of the audience and at all
 * of it.
 */
export async function benchFanOut(
  scratch: Scratch,
  customers: number,
  runs: number,
): Promise<{ rows: ResultRow[]; details: FanOutDetails }> {
  const shipped = await ship(scratch.db, PROMO_YAML, "bench-promo.yaml");
  await scratch.sql.query(`CREATE TABLE "${BARE}" (LIKE "Delivery" INCLUDING DEFAULTS)`);

  // a hundredth first, unmeasured: one-time costs (query plans, script loading) stay out of both samples
  await scratch.resetRuns();
  await measuredFanOut(
    scratch,
    fanOutTarget(shipped, { extra: Prisma.sql`c."loyaltyPoints" < 1` }),
    "fan-out, warm-up",
  );
  await scratch.resetRuns();
  const tenth = await measuredFanOut(
    scratch,
    fanOutTarget(shipped, { extra: Prisma.sql`c."loyaltyPoints" < 10` }),
    "fan-out, a tenth of the audience",
  );

  const target = fanOutTarget(shipped);
  const full: FanOutRun[] = [];
  const fair: number[] = [];
  const noop: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const of = runs > 1 ? ` (run ${run} of ${runs})` : "";
    await scratch.resetRuns();
    await scratch.sql.query('VACUUM ANALYZE "Delivery", "Coupon"');
    const ours = await measuredFanOut(scratch, target, `fan-out, the whole audience${of}`);
    full.push(ours);
    const written = ours.result.audience - ours.result.existing;

    await scratch.resetRuns();
    await scratch.sql.query('VACUUM ANALYZE "Delivery"');
    const raw = await timed(() => scratch.db.$executeRaw(rawInsert("Delivery", shipped, target.where)));
    if (raw.value !== written) throw new Error(`raw INSERT wrote ${raw.value} rows, fanOut ${written}`);
    fair.push(raw.ms);

    await scratch.sql.query(`TRUNCATE "${BARE}"`);
    await scratch.sql.query(`VACUUM ANALYZE "${BARE}"`);
    const bare = await timed(() => scratch.db.$executeRaw(rawInsert(BARE, shipped, target.where)));
    if (bare.value !== written) throw new Error(`bare INSERT wrote ${bare.value} rows, fanOut ${written}`);
    noop.push(bare.ms);
    console.log(
      `fan-out${of}: ${written.toLocaleString("en")} rows in ${ours.ms} ms (${Math.round(ours.rowsPerSecond)}/s); ` +
        `raw INSERT … SELECT into Delivery ${Math.round(raw.ms)} ms, into a bare table ${Math.round(bare.ms)} ms`,
    );
  }
  await scratch.resetRuns();
  await scratch.sql.query(`DROP TABLE "${BARE}"`);

  const first = full[0]!;
  const written = first.result.audience - first.result.existing;
  return {
    rows: [
      row(
        "fan-out",
        "rows/s",
        {
          ours: full.map((r) => r.rowsPerSecond),
          fair: fair.map((ms) => perSecond(written, ms)),
          noop: noop.map((ms) => perSecond(written, ms)),
        },
        'one INSERT … SELECT into "Delivery" (its indexes and triggers), no channel logic',
        "the same INSERT into a bare table (no index, key or trigger)",
      ),
    ],
    details: {
      customers,
      audience: first.result.audience,
      queued: first.result.queued,
      skipped: first.result.skipped,
      oursMs: full.map((r) => r.ms),
      fairMs: fair.map(Math.round),
      noopMs: noop.map(Math.round),
      enqueueShare: first.enqueueShare,
      phases: first.phases,
      memory: [
        { audience: tenth.result.audience, ms: tenth.ms, ...tenth.memory },
        { audience: first.result.audience, ms: first.ms, ...first.memory },
      ],
      heapGrowthRatio: first.memory.heapGrowthMb / Math.max(tenth.memory.heapGrowthMb, 0.1),
    },
  };
}
