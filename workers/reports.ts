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

interface CountsRow {
  grouped: number;
  step: string | null;
  variant: string | null;
  total: number;
  pending: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  failed: number;
  suppressed: number;
  skipped: number;
  heldBack: number;
  conversions: number;
  heldBackConversions: number;
}

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

/** The hold-out group's Deliveries. */
const HELD_BACK = Prisma.sql`d.status = 'skipped' AND d.reason = 'holdout'`;

/** Per (step, variant) and for everything (`grouped` = 3), by GROUPING SETS: one pass over the rows. */
const PER_VARIANT = Prisma.sql`GROUPING(d.step, d.variant)::int AS grouped, d.step, d.variant`;

/**
 * A campaign's results from its Delivery rows, in three set-based queries (counts, reasons, revenue), each
 * grouped by step and variant and for the whole campaign at once. Undefined when there is no such campaign.
 * The totals leave the hold-out group out of conversions and revenue: it is the baseline, not a result.
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
  const [counts, reasons, revenues] = await Promise.all([
    db.$queryRaw<CountsRow[]>(Prisma.sql`
      SELECT ${PER_VARIANT},
        count(*)::int AS total,
        count(*) FILTER (WHERE d.status IN ('planned', 'queued'))::int AS pending,
        count(*) FILTER (WHERE d.status = 'sent')::int AS sent,
        count(d."deliveredAt")::int AS delivered,
        count(d."openedAt")::int AS opened,
        count(d."clickedAt")::int AS clicked,
        count(*) FILTER (WHERE d.status = 'failed')::int AS failed,
        count(*) FILTER (WHERE d.status = 'suppressed')::int AS suppressed,
        count(*) FILTER (WHERE d.status = 'skipped')::int AS skipped,
        count(*) FILTER (WHERE ${HELD_BACK})::int AS "heldBack",
        count(d."convertedAt") FILTER (WHERE d.status = 'sent')::int AS conversions,
        count(d."convertedAt") FILTER (WHERE ${HELD_BACK})::int AS "heldBackConversions"
      FROM "Delivery" d WHERE d."campaignId" = ${campaignId}
      GROUP BY GROUPING SETS ((d.step, d.variant), ())
      ORDER BY grouped, d.step, d.variant NULLS FIRST`),
    db.$queryRaw<ReasonRow[]>(Prisma.sql`
      SELECT ${PER_VARIANT}, d.status, d.reason, count(*)::int AS count
      FROM (SELECT step, variant, status::text AS status, COALESCE(reason, 'unknown') AS reason
            FROM "Delivery" WHERE "campaignId" = ${campaignId} AND status IN ('failed', 'suppressed', 'skipped')) d
      GROUP BY GROUPING SETS ((d.step, d.variant, d.status, d.reason), (d.status, d.reason))
      ORDER BY count DESC, d.reason`),
    db.$queryRaw<RevenueRow[]>(Prisma.sql`
      SELECT ${PER_VARIANT}, d.currency,
        (sum(d.revenue) FILTER (WHERE d.status = 'sent'))::text AS sent,
        (sum(d.revenue) FILTER (WHERE ${HELD_BACK}))::text AS "heldBack"
      FROM (SELECT x.step, x.variant, x.status, x.reason, x.revenue, e.currency
            FROM "Delivery" x LEFT JOIN "Event" e ON e.id = x."conversionEventId"
            WHERE x."campaignId" = ${campaignId} AND x.revenue IS NOT NULL) d
      GROUP BY GROUPING SETS ((d.step, d.variant, d.currency), (d.currency))
      ORDER BY d.currency NULLS LAST`),
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

/** Every campaign with its status, current version and outcome totals, by id, in one grouped query. */
export async function campaignList(db: Db): Promise<CampaignListRow[]> {
  return db.$queryRaw<CampaignListRow[]>(Prisma.sql`
    SELECT c.id, c.name, c.status::text AS status, v.version, c."updatedAt",
      COALESCE(s.pending, 0)::int AS pending, COALESCE(s.sent, 0)::int AS sent,
      COALESCE(s.failed, 0)::int AS failed, COALESCE(s.skipped, 0)::int AS skipped,
      COALESCE(s.conversions, 0)::int AS conversions
    FROM "Campaign" c
    LEFT JOIN "CampaignVersion" v ON v.id = c."currentVersionId"
    LEFT JOIN (
      SELECT d."campaignId",
        count(*) FILTER (WHERE d.status IN ('planned', 'queued')) AS pending,
        count(*) FILTER (WHERE d.status = 'sent') AS sent,
        count(*) FILTER (WHERE d.status = 'failed') AS failed,
        count(*) FILTER (WHERE d.status = 'skipped') AS skipped,
        count(d."convertedAt") FILTER (WHERE d.status = 'sent') AS conversions
      FROM "Delivery" d WHERE d."campaignId" IS NOT NULL GROUP BY d."campaignId"
    ) s ON s."campaignId" = c.id
    ORDER BY c.id`);
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
