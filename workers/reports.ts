import { type Db, Prisma } from "../lib/db/index.ts";

/** A sum of money in one currency, exact (a decimal string); `currency` is null when the event had none. */
export interface Revenue {
  currency: string | null;
  amount: string;
}

/** The outcome counts of a set of a campaign's Deliveries. */
export interface OutcomeCounts {
  /** Every Delivery. */
  total: number;
  /** Planned or queued: not sent yet. */
  pending: number;
  sent: number;
  /** Sent and confirmed delivered, opened, clicked by the provider (email webhooks); subsets of sent. */
  delivered: number;
  opened: number;
  clicked: number;
  failed: number;
  suppressed: number;
  /** Skipped for any reason, the hold-out group included. */
  skipped: number;
  /** Held back: the hold-out group (skipped with reason `holdout`). */
  heldBack: number;
  /** Sent messages followed by the campaign's goal within its window. */
  conversions: number;
  /** Held-back customers who reached the goal anyway: the baseline. */
  heldBackConversions: number;
  /** conversions / sent, or for the hold-out group heldBackConversions / heldBack; null when dividing by 0. */
  conversionRate: number | null;
  /** The goal events' value of sent messages (of held-back customers for the hold-out group), per currency. */
  revenue: Revenue[];
  /** Why Deliveries were skipped, failed or suppressed: reason → count, most frequent first. */
  skippedBy: Array<{ reason: string; count: number }>;
  failedBy: Array<{ reason: string; count: number }>;
  suppressedBy: Array<{ reason: string; count: number }>;
}

/** The counts of one step and variant (variant null: no A/B test; "holdout": the hold-out group). */
export interface ReportRow extends OutcomeCounts {
  step: string;
  variant: string | null;
}

/** A campaign's results: per step and variant, and for the whole campaign (hold-out group excluded). */
export interface CampaignReport {
  id: string;
  name: string;
  status: string;
  /** The current version's number; null before any is shipped. */
  version: number | null;
  rows: ReportRow[];
  totals: OutcomeCounts;
}

/** One campaign in {@link campaignList}. */
export interface CampaignListRow {
  id: string;
  name: string;
  status: string;
  version: number | null;
  updatedAt: Date;
  pending: number;
  sent: number;
  failed: number;
  skipped: number;
  conversions: number;
}

/** One row of the counts query: the plain numbers of {@link OutcomeCounts}, per (step, variant) or for all. */
type CountsRow = Omit<
  OutcomeCounts,
  "conversionRate" | "revenue" | "skippedBy" | "failedBy" | "suppressedBy"
> & {
  grouped: number;
  step: string | null;
  variant: string | null;
};

interface ReasonRow {
  grouped: number;
  step: string | null;
  variant: string | null;
  status: "failed" | "suppressed" | "skipped";
  reason: string;
  count: number;
}

interface RevenueRow {
  grouped: number;
  step: string | null;
  variant: string | null;
  currency: string | null;
  sent: string | null;
  heldBack: string | null;
}

/** The hold-out group's buckets. */
const HELD_BACK = Prisma.sql`s.status = 'skipped' AND s.reason = 'holdout'`;

/** Per (step, variant) and for everything (`grouped` = 3), by GROUPING SETS: one pass over the rows. */
const PER_VARIANT = Prisma.sql`GROUPING(s.step, s.variant)::int AS grouped, s.step, s.variant`;

/** Buckets that hold something; the whole campaign's row (`grouped` = 3) is always there. */
const NOT_EMPTY = Prisma.sql`GROUPING(s.step, s.variant) = 3 OR sum(s.deliveries) <> 0`;

/**
 * A campaign's running totals (`CampaignStat`, kept by triggers on "Delivery"), with the '' that stands for
 * null in its key turned back into null.
 */
function statsOf(campaignId: string): Prisma.Sql {
  return Prisma.sql`(
    SELECT NULLIF(step, '') AS step, NULLIF(variant, '') AS variant, status::text AS status,
      NULLIF(reason, '') AS reason, NULLIF(currency, '') AS currency,
      deliveries, delivered, opened, clicked, converted, "withRevenue", revenue
    FROM "CampaignStat" WHERE "campaignId" = ${campaignId}) s`;
}

/** `sum(column)` over the bucket's rows that pass `filter`, as an int (0 when none). */
function summed(column: string, filter?: Prisma.Sql): Prisma.Sql {
  const sum = Prisma.raw(`sum(s."${column}")`);
  return filter
    ? Prisma.sql`COALESCE(${sum} FILTER (WHERE ${filter}), 0)::int`
    : Prisma.sql`COALESCE(${sum}, 0)::int`;
}

/**
 * A campaign's results, in three small grouped queries (counts, reasons, revenue) over its running totals
 * (`CampaignStat`: a few rows per step, variant and status, however many Deliveries), each grouped by step and
 * variant and for the whole campaign at once. Undefined when there is no such campaign. The totals leave the
 * hold-out group out of conversions and revenue: it is the baseline, not a result.
 */
export async function campaignReport(db: Db, campaignId: string): Promise<CampaignReport | undefined> {
  const campaign = await db.campaign.findUnique({
    where: { id: campaignId },
    select: { id: true, name: true, status: true, currentVersionId: true },
  });
  if (!campaign) return undefined;
  const version = campaign.currentVersionId
    ? await db.campaignVersion.findUnique({
        where: { id: campaign.currentVersionId },
        select: { version: true },
      })
    : null;
  const stats = statsOf(campaignId);
  const [counts, reasons, revenues] = await Promise.all([
    db.$queryRaw<CountsRow[]>(Prisma.sql`
      SELECT ${PER_VARIANT},
        ${summed("deliveries")} AS total,
        ${summed("deliveries", Prisma.sql`s.status IN ('planned', 'queued')`)} AS pending,
        ${summed("deliveries", Prisma.sql`s.status = 'sent'`)} AS sent,
        ${summed("delivered")} AS delivered,
        ${summed("opened")} AS opened,
        ${summed("clicked")} AS clicked,
        ${summed("deliveries", Prisma.sql`s.status = 'failed'`)} AS failed,
        ${summed("deliveries", Prisma.sql`s.status = 'suppressed'`)} AS suppressed,
        ${summed("deliveries", Prisma.sql`s.status = 'skipped'`)} AS skipped,
        ${summed("deliveries", HELD_BACK)} AS "heldBack",
        ${summed("converted", Prisma.sql`s.status = 'sent'`)} AS conversions,
        ${summed("converted", HELD_BACK)} AS "heldBackConversions"
      FROM ${stats}
      GROUP BY GROUPING SETS ((s.step, s.variant), ())
      HAVING ${NOT_EMPTY}
      ORDER BY grouped, s.step, s.variant NULLS FIRST`),
    db.$queryRaw<ReasonRow[]>(Prisma.sql`
      SELECT ${PER_VARIANT}, s.status, COALESCE(s.reason, 'unknown') AS reason, sum(s.deliveries)::int AS count
      FROM ${stats}
      WHERE s.status IN ('failed', 'suppressed', 'skipped')
      GROUP BY GROUPING SETS ((s.step, s.variant, s.status, COALESCE(s.reason, 'unknown')),
        (s.status, COALESCE(s.reason, 'unknown')))
      HAVING sum(s.deliveries) <> 0
      ORDER BY count DESC, reason`),
    db.$queryRaw<RevenueRow[]>(Prisma.sql`
      SELECT ${PER_VARIANT}, s.currency,
        CASE WHEN sum(s."withRevenue") FILTER (WHERE s.status = 'sent') > 0
          THEN (sum(s.revenue) FILTER (WHERE s.status = 'sent'))::text END AS sent,
        CASE WHEN sum(s."withRevenue") FILTER (WHERE ${HELD_BACK}) > 0
          THEN (sum(s.revenue) FILTER (WHERE ${HELD_BACK}))::text END AS "heldBack"
      FROM ${stats}
      WHERE s."withRevenue" <> 0
      GROUP BY GROUPING SETS ((s.step, s.variant, s.currency), (s.currency))
      ORDER BY s.currency NULLS LAST`),
  ]);
  const keyOf = (r: { grouped: number; step: string | null; variant: string | null }) =>
    r.grouped === 3 ? "*" : `${r.step}\u0000${r.variant ?? ""}`;
  const outcome = (row: CountsRow, held: boolean): OutcomeCounts => {
    const key = keyOf(row);
    const mine = reasons.filter((r) => keyOf(r) === key);
    const by = (status: ReasonRow["status"]) =>
      mine.filter((r) => r.status === status).map((r) => ({ reason: r.reason, count: r.count }));
    const { grouped: _g, step: _s, variant: _v, ...numbers } = row;
    return {
      ...numbers,
      conversionRate: held ? ratio(row.heldBackConversions, row.heldBack) : ratio(row.conversions, row.sent),
      revenue: revenues
        .filter((r) => keyOf(r) === key)
        .flatMap((r) => {
          const amount = held ? r.heldBack : r.sent;
          return amount === null ? [] : [{ currency: r.currency, amount }];
        }),
      skippedBy: by("skipped"),
      failedBy: by("failed"),
      suppressedBy: by("suppressed"),
    };
  };
  const total = counts.find((r) => r.grouped === 3)!;
  return {
    id: campaign.id,
    name: campaign.name,
    status: campaign.status,
    version: version?.version ?? null,
    rows: counts
      .filter((r) => r.grouped === 0)
      .map((r) => ({ step: r.step ?? "main", variant: r.variant, ...outcome(r, r.variant === "holdout") })),
    totals: outcome(total, false),
  };
}

/** Every campaign with its status, current version and outcome totals (from `CampaignStat`), by id. */
export async function campaignList(db: Db): Promise<CampaignListRow[]> {
  return db.$queryRaw<CampaignListRow[]>(Prisma.sql`
    SELECT c.id, c.name, c.status::text AS status, v.version, c."updatedAt",
      COALESCE(s.pending, 0)::int AS pending, COALESCE(s.sent, 0)::int AS sent,
      COALESCE(s.failed, 0)::int AS failed, COALESCE(s.skipped, 0)::int AS skipped,
      COALESCE(s.conversions, 0)::int AS conversions
    FROM "Campaign" c
    LEFT JOIN "CampaignVersion" v ON v.id = c."currentVersionId"
    LEFT JOIN (
      SELECT s."campaignId",
        sum(s.deliveries) FILTER (WHERE s.status IN ('planned', 'queued')) AS pending,
        sum(s.deliveries) FILTER (WHERE s.status = 'sent') AS sent,
        sum(s.deliveries) FILTER (WHERE s.status = 'failed') AS failed,
        sum(s.deliveries) FILTER (WHERE s.status = 'skipped') AS skipped,
        sum(s.converted) FILTER (WHERE s.status = 'sent') AS conversions
      FROM "CampaignStat" s GROUP BY s."campaignId"
    ) s ON s."campaignId" = c.id
    ORDER BY c.id`);
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
