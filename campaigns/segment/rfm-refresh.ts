import { type Db, Prisma } from "../../lib/db/index.ts";
import type { MoneyContext } from "./money.ts";
import { NOT_FULLY_REFUNDED_JOINED, REFUNDS_BY_ORDER, SIGNED_VALUE } from "./money-sql.ts";
import { RFM_SEGMENTS, RFM_WINDOW_DAYS, type RfmSegment, rfmMapRows } from "./rfm-map.ts";

const DAY_MS = 86_400_000;

/** How long one refresh may hold its transaction, in ms: an hour, far above a million customers' minutes. */
const REFRESH_TIMEOUT_MS = 3_600_000;

/** What one refresh wrote. */
export interface RfmSummary {
  /** The moment the scores are taken at. */
  computedAt: Date;
  /** Customers with a purchase kept in the window: they have scores. */
  buyers: number;
  /** Customers who bought only before the window: `lost`, without scores. */
  lapsed: number;
  /** Rows per segment, every segment present (0 when empty), in {@link RFM_SEGMENTS} order. */
  segments: Record<RfmSegment, number>;
}

/** A timestamp parameter: the columns are `timestamp(3)` holding UTC. */
function timestamp(at: Date): Prisma.Sql {
  return Prisma.sql`${at.toISOString().slice(0, -1)}::timestamp`;
}

/** A score 1–5 from the rank among buyers: ties share the lower score, so 1 order is never "frequent". */
function quintile(order: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`LEAST(5, 1 + floor(5 * percent_rank() OVER (ORDER BY ${order})))::int`;
}

/**
 * The SELECT of every customer's RFM row at `now` as (customerId, recency, frequency, monetary, segment): one
 * pass over the purchase and refund events of the window, monetary in the base currency by the money rules
 * of segments (money-sql.ts: refunds subtracted through `properties.orderId`, joined once per order; currencies
 * without a rate left out).
 */
export function rfmSelectSql(money: MoneyContext, now: Date): Prisma.Sql {
  const since = new Date(now.getTime() - RFM_WINDOW_DAYS * DAY_MS);
  const rates = Prisma.join(
    Object.entries(money.rates).map(([code, rate]) => Prisma.sql`(${code}::text, ${rate}::numeric)`),
  );
  const map = Prisma.join(
    rfmMapRows().map((row) => Prisma.sql`(${row.recency}::int, ${row.fm}::int, ${row.segment}::text)`),
  );
  return Prisma.sql`
    WITH refunds AS (${REFUNDS_BY_ORDER}), events AS (
      SELECT e."customerId" AS id, e."occurredAt" AS at,
        (e.type = 'purchase' AND ${NOT_FULLY_REFUNDED_JOINED}) AS kept,
        ${SIGNED_VALUE} * r.rate AS base
      FROM "Event" e
      LEFT JOIN refunds f ON e.type = 'purchase' AND f."customerId" = e."customerId" AND f."orderId" = e."externalId"
      LEFT JOIN (VALUES ${rates}) AS r(currency, rate) ON r.currency = e.currency
      WHERE e.type IN ('purchase', 'refund') AND e."occurredAt" > ${timestamp(since)}
        AND e."occurredAt" <= ${timestamp(now)}
    ), buyers AS (
      SELECT id, max(at) FILTER (WHERE kept) AS last, count(*) FILTER (WHERE kept) AS orders,
        COALESCE(sum(base), 0) AS net
      FROM events GROUP BY id HAVING count(*) FILTER (WHERE kept) > 0
    ), scored AS (
      SELECT id, ${quintile(Prisma.sql`last`)} AS recency, ${quintile(Prisma.sql`orders`)} AS frequency,
        ${quintile(Prisma.sql`net`)} AS monetary
      FROM buyers
    )
    SELECT s.id AS "customerId", s.recency, s.frequency, s.monetary, m.segment
    FROM scored s JOIN (VALUES ${map}) AS m(recency, fm, segment)
      ON m.recency = s.recency AND m.fm = (s.frequency + s.monetary + 1) / 2
    UNION ALL
    SELECT c.id, NULL, NULL, NULL, 'lost'
    FROM "Customer" c
    WHERE c."lastPurchaseAt" IS NOT NULL AND c."mergedIntoId" IS NULL
      AND NOT EXISTS (SELECT 1 FROM buyers b WHERE b.id = c.id)`;
}

/**
 * Rebuilds CustomerRfm in one transaction: every row replaced by one INSERT … SELECT ({@link rfmSelectSql}),
 * so readers see the old scores or the new ones, never a mix.
 * @param now The moment scores are taken at: the window is the {@link RFM_WINDOW_DAYS} days before it.
 */
export async function refreshRfm(db: Db, money: MoneyContext, now: Date): Promise<RfmSummary> {
  // one long statement over every purchase: far past Prisma's default 5 s transaction timeout at scale
  await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`DELETE FROM "CustomerRfm"`;
      await tx.$executeRaw`INSERT INTO "CustomerRfm" ("customerId", recency, frequency, monetary, segment, "computedAt")
        SELECT r."customerId", r.recency, r.frequency, r.monetary, r.segment, ${timestamp(now)}
        FROM (${rfmSelectSql(money, now)}) r`;
    },
    { timeout: REFRESH_TIMEOUT_MS, maxWait: REFRESH_TIMEOUT_MS },
  );
  const distribution = await rfmDistribution(db);
  return { computedAt: now, ...distribution };
}

/** How many customers each segment holds now, and how many have scores. */
export async function rfmDistribution(db: Db): Promise<Omit<RfmSummary, "computedAt">> {
  const rows = await db.$queryRaw<Array<{ segment: string; scored: boolean; count: number }>>`
    SELECT segment, recency IS NOT NULL AS scored, count(*)::int AS count
    FROM "CustomerRfm" GROUP BY segment, recency IS NOT NULL`;
  const segments = Object.fromEntries(RFM_SEGMENTS.map((s) => [s, 0])) as Record<RfmSegment, number>;
  let buyers = 0;
  let lapsed = 0;
  for (const row of rows) {
    if ((RFM_SEGMENTS as readonly string[]).includes(row.segment))
      segments[row.segment as RfmSegment] += row.count;
    if (row.scored) buyers += row.count;
    else lapsed += row.count;
  }
  return { buyers, lapsed, segments };
}
