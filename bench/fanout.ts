import { manualClock } from "../lib/clock.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { silentLogger } from "../lib/logger.ts";
import { type FanOutResult, fanOut, QUEUE, queueFor } from "../workers/index.ts";
import { type FanOutTarget, fanOutTarget, NOW, PROMO_YAML, ship } from "./campaigns.ts";
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
  oursMs: number;
  rawMs: number;
  /** Share of the whole-audience run spent queueing. */
  enqueueShare: number;
  phases: PhaseShare[];
  /** At a tenth of the audience, then at all of it. */
  memory: Array<MemoryPeak & { audience: number; ms: number }>;
  /** Peak heap growth at the whole audience over that at a tenth. */
  heapGrowthRatio: number;
  jitOff: { ms: number; enqueueShare: number; phases: PhaseShare[] };
}

async function measuredFanOut(
  scratch: Scratch,
  target: FanOutTarget,
  label: string,
  db: Db = scratch.db,
): Promise<FanOutRun> {
  const phases = new Phases();
  const restore = (["telegram", "email"] as const).map((channel) =>
    timeAddBulk(queueFor(scratch.queues, QUEUE.deliver(channel)), phases),
  );
  const progress = progressLine(label);
  try {
    const deps = {
      db: timedDb(db, phases),
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
 * test with holdout) against one plain `INSERT INTO "Delivery" … SELECT … FROM "Customer"` of as many rows,
 * into the same empty table. Memory is sampled at a tenth of the audience and at all of it.
 */
export async function benchFanOut(
  scratch: Scratch,
  customers: number,
): Promise<{ rows: ResultRow[]; details: FanOutDetails }> {
  const shipped = await ship(scratch.db, PROMO_YAML, "bench-promo.yaml");

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
  await scratch.resetRuns();
  const full = await measuredFanOut(scratch, fanOutTarget(shipped), "fan-out, the whole audience");
  const written = full.result.audience - full.result.existing;

  await scratch.resetRuns();
  const target = fanOutTarget(shipped);
  const raw = await timed(() =>
    scratch.db.$executeRaw(Prisma.sql`
      INSERT INTO "Delivery" (key, kind, "campaignId", "campaignVersionId", step, "customerId", channel, status,
        template, locale, data, recipient, "scheduledAt")
      SELECT 'd/raw/main/' || c.id::text || '/once', 'marketing', ${shipped.campaign.id}, ${shipped.versionId}::uuid,
        'main', c.id, COALESCE(c."preferredChannel", 'email'), 'planned', 'promo', c.locale, '{}'::jsonb, c.email,
        ${NOW}
      FROM "Customer" c WHERE c."mergedIntoId" IS NULL AND (${target.where})`),
  );
  await scratch.resetRuns();
  if (raw.value !== written) throw new Error(`raw INSERT wrote ${raw.value} rows, fanOut ${written}`);
  const rawRate = perSecond(raw.value, raw.ms);

  // what-if: the same fan-out on sessions without PostgreSQL's JIT, whose compile time the plan statement
  // pays on every chunk once its estimated cost passes jit_above_cost (see the README)
  const noJit = await measuredFanOut(
    scratch,
    fanOutTarget(shipped),
    "fan-out, sessions with jit = off",
    await scratch.openDb({ jit: "off" }),
  );
  await scratch.resetRuns();

  console.log(
    `fan-out: ${written.toLocaleString("en")} rows in ${full.ms} ms (${Math.round(full.rowsPerSecond)}/s), ` +
      `raw INSERT … SELECT in ${Math.round(raw.ms)} ms (${Math.round(rawRate)}/s); ` +
      `enqueueing ${(full.enqueueShare * 100).toFixed(1)} % of the fan-out`,
  );
  return {
    rows: [
      row("fan-out", full.rowsPerSecond, rawRate, "rows/s", "one INSERT … SELECT, no channel logic"),
      row("fan-out, jit = off (what-if)", noJit.rowsPerSecond, rawRate, "rows/s", "the same raw INSERT"),
    ],
    details: {
      customers,
      audience: full.result.audience,
      queued: full.result.queued,
      skipped: full.result.skipped,
      oursMs: full.ms,
      rawMs: Math.round(raw.ms),
      enqueueShare: full.enqueueShare,
      phases: full.phases,
      memory: [
        { audience: tenth.result.audience, ms: tenth.ms, ...tenth.memory },
        { audience: full.result.audience, ms: full.ms, ...full.memory },
      ],
      heapGrowthRatio: full.memory.heapGrowthMb / Math.max(tenth.memory.heapGrowthMb, 0.1),
      jitOff: { ms: noJit.ms, enqueueShare: noJit.enqueueShare, phases: noJit.phases },
    },
  };
}
