import type { Clock } from "../lib/clock.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import { ensureCoupons } from "./coupons.ts";
import { enqueueDeliveries, type PlannedDelivery, sweepPlanned } from "./deliver-queue.ts";
import { DELIVERY_COLUMNS, type FanOutSpec, plannedRows } from "./fanout-sql.ts";
import { couponPrefixes } from "./message-data.ts";
import type { QueueContext } from "./queues.ts";

/** Who a fan-out is for: a condition over the Customer table aliased `c` (audience and trigger). */
export interface FanOutTarget extends FanOutSpec {
  where: Prisma.Sql;
  /** Customers per chunk. Defaults to 2 000. */
  chunkSize?: number;
  /** Called after each chunk with the customers looked at so far and the audience's size. */
  onProgress?: (done: number, total: number) => void;
}

/** What a fan-out did. */
export interface FanOutResult {
  /** Customers in the audience. */
  audience: number;
  /** New Deliveries queued. */
  queued: number;
  /** New Deliveries skipped, by reason (holdout, no_channel, opted_out, frequency_cap). */
  skipped: Record<string, number>;
  /** Customers who already had this occurrence's Delivery (a re-run, or once_per_customer). */
  existing: number;
}

const FIRST_ID = "00000000-0000-0000-0000-000000000000";

/** Customers of the target, live (not merged away). */
const audienceWhere = (target: FanOutTarget) => Prisma.sql`c."mergedIntoId" IS NULL AND (${target.where})`;

/**
 * Plans one campaign occurrence for a whole audience with set-based SQL: customers are read by keyset
 * chunks of ids, each chunk's Deliveries are written by one `INSERT … SELECT` (unique keys make a re-run
 * write nothing twice) and queued with one `addBulk` per channel. Memory holds one chunk, however large the
 * audience. A crash between writing and queueing is repaired by the sweep at the start and end.
 */
export async function fanOut(
  deps: { db: Db; queues: QueueContext; clock: Clock; log: Logger },
  target: FanOutTarget,
): Promise<FanOutResult> {
  const { db } = deps;
  const campaignId = target.campaign.id;
  const log = deps.log.child({ component: "fan-out", campaign: campaignId });
  await sweepPlanned(deps, campaignId);
  const [{ total }] = (await db.$queryRaw<Array<{ total: number }>>(
    Prisma.sql`SELECT count(*)::int AS total FROM "Customer" c WHERE ${audienceWhere(target)}`,
  )) as [{ total: number }];
  const result: FanOutResult = { audience: total, queued: 0, skipped: {}, existing: 0 };
  // the server's zone names once, not once per chunk (pg_timezone_names reads every zone file on each call)
  const [{ zones }] = (await db.$queryRaw<Array<{ zones: string[] }>>(
    Prisma.sql`SELECT array_agg(name) AS zones FROM pg_timezone_names`,
  )) as [{ zones: string[] }];
  const prefixes = couponPrefixes(target.campaign);
  const chunkSize = target.chunkSize ?? 2_000;
  let cursor = FIRST_ID;
  let done = 0;
  for (;;) {
    const ids = (
      await db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
        SELECT c.id FROM "Customer" c WHERE c.id > ${cursor}::uuid AND ${audienceWhere(target)}
        ORDER BY c.id LIMIT ${chunkSize}`)
    ).map((row) => row.id);
    if (ids.length === 0) break;
    for (const prefix of prefixes) await ensureCoupons(db, { prefix, customerIds: ids, campaignId });
    const written = await db.$queryRaw<Array<PlannedDelivery & { status: string; reason: string | null }>>(
      Prisma.sql`
        INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
        ${plannedRows({ ...target, zones }, Prisma.sql`${ids}::uuid[]`)}
        ON CONFLICT (key) DO NOTHING
        RETURNING id, key, channel::text AS channel, "scheduledAt", "campaignId", status::text AS status, reason`,
    );
    await enqueueDeliveries(
      deps,
      written.filter((d) => d.status === "planned"),
    );
    for (const d of written) {
      if (d.status === "planned") result.queued++;
      else result.skipped[d.reason ?? "unknown"] = (result.skipped[d.reason ?? "unknown"] ?? 0) + 1;
    }
    result.existing += ids.length - written.length;
    done += ids.length;
    cursor = ids.at(-1)!;
    target.onProgress?.(done, total);
  }
  await sweepPlanned(deps, campaignId);
  // a periodic campaign's tick that planned nothing new is no news at info level
  const planned = result.queued > 0 || Object.keys(result.skipped).length > 0;
  log[planned ? "info" : "debug"]({ ...result }, "campaign fanned out");
  return result;
}

/** One line of a dry run: how many customers would get what, where, in which language. */
export interface DryRunRow {
  channel: string;
  locale: string;
  status: string;
  reason: string | null;
  variant: string | null;
  count: number;
}

/**
 * What {@link fanOut} would do, counted in the database and written nowhere: deliveries per channel, locale,
 * variant and outcome. Customers who already have this occurrence's Delivery count as status "exists".
 */
export async function dryRun(db: Db, target: FanOutTarget): Promise<DryRunRow[]> {
  const ids = Prisma.sql`ARRAY(SELECT c.id FROM "Customer" c WHERE ${audienceWhere(target)})`;
  return db.$queryRaw<DryRunRow[]>(Prisma.sql`
    SELECT p.channel::text AS channel, p.locale, p.variant,
      CASE WHEN d.id IS NOT NULL THEN 'exists' ELSE p.status::text END AS status,
      CASE WHEN d.id IS NOT NULL THEN NULL ELSE p.reason END AS reason,
      count(*)::int AS count
    FROM (${plannedRows(target, ids)}) p
    LEFT JOIN "Delivery" d ON d.key = p.key
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`);
}
