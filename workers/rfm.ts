import type { Job } from "bullmq";
import { type MoneyContext, type RfmSummary, refreshRfm } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import { type Stamped, stamp } from "./installation.ts";
import { JOB_RETENTION, QUEUE, type QueueContext, queueFor } from "./queues.ts";

/** A job of the `rfm` queue: rebuild every customer's RFM scores. */
export type RfmJob = Stamped & { kind: "refresh" };

/** When the nightly refresh runs: 03:00 UTC, a quiet hour for Jakarta's evening and Warsaw's night alike. */
export const RFM_NIGHTLY = "0 3 * * *";

/**
 * Registers the nightly RFM refresh: one job scheduler for the whole installation however many processes
 * call this (BullMQ keeps one per id and queue).
 * @param pattern A cron pattern in UTC. Defaults to {@link RFM_NIGHTLY}.
 */
export async function startRfmSchedule(queues: QueueContext, pattern = RFM_NIGHTLY): Promise<void> {
  await queueFor<RfmJob>(queues, QUEUE.rfm).upsertJobScheduler(
    "rfm-nightly",
    { pattern, tz: "UTC" },
    { name: "refresh", data: stamp(queues, { kind: "refresh" as const }), opts: JOB_RETENTION },
  );
}

/** What the RFM refresh needs. */
export interface RfmDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** The base currency and rates of the loaded campaigns folder (currencies.yaml). */
  money: () => MoneyContext;
}

/** The `rfm` queue's processor: one set-based refresh at the clock's time, its distribution logged. */
export function processRfm(deps: RfmDeps): (job: Job<RfmJob>) => Promise<RfmSummary> {
  const log = deps.log.child({ component: "rfm" });
  return async () => {
    const started = Date.now();
    const summary = await refreshRfm(deps.db, deps.money(), new Date(deps.clock.now()));
    log.info({ ...summary, ms: Date.now() - started }, "RFM refreshed");
    return summary;
  };
}
