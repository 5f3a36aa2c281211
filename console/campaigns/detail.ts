import type { Db } from "../../lib/db/index.ts";
import {
  type CampaignReport,
  type CouponResults,
  campaignReport,
  couponResults,
  type Revenue,
} from "../../workers/index.ts";
import type { TtlCache } from "../dashboard/cache.ts";
import { formatPercent, formatPoints } from "./percent.ts";

/** Messages sent against the hold-out group (customers deliberately sent nothing): did the campaign help? */
export interface HoldoutComparison {
  sent: number;
  conversions: number;
  /** conversions / sent; null before anything was sent. */
  rate: number | null;
  heldBack: number;
  heldBackConversions: number;
  /** heldBackConversions / heldBack. */
  heldBackRate: number | null;
  /** rate − heldBackRate, in percentage points; null when either is unknown. */
  upliftPoints: number | null;
  /** Revenue of the held-back customers' goal events, per currency: what came anyway. */
  heldBackRevenue: Revenue[];
}

/** What the campaign page shows: results per step and variant, the hold-out comparison, the YAML. */
export interface CampaignDetail {
  report: CampaignReport;
  holdout: HoldoutComparison | null;
  /** The current version as shipped from git, read-only. */
  version: { version: number; contentHash: string; source: string; createdAt: Date } | null;
  /** Its unique() codes: sent, redeemed, the orders' revenue, messages waiting for the shop; null without codes. */
  coupons: CouponResults | null;
}

/** The comparison of a report's sent messages with its hold-out group; null without a hold-out group. */
export function holdoutOf(report: CampaignReport): HoldoutComparison | null {
  const { totals } = report;
  if (totals.heldBack === 0) return null;
  const rate = totals.sent > 0 ? totals.conversions / totals.sent : null;
  const heldBackRate = totals.heldBackConversions / totals.heldBack;
  return {
    sent: totals.sent,
    conversions: totals.conversions,
    rate,
    heldBack: totals.heldBack,
    heldBackConversions: totals.heldBackConversions,
    heldBackRate,
    upliftPoints: rate === null ? null : (rate - heldBackRate) * 100,
    heldBackRevenue: report.rows.filter((r) => r.variant === "holdout").flatMap((r) => r.revenue),
  };
}

/**
 * A campaign's page data, or undefined when there is no such campaign. The report reads the campaign's running
 * totals (`CampaignStat`); with a `cache` it is also reused for the cache's lifetime (a minute). Name, status
 * and version are always read fresh, so a pause or a newly shipped version shows at once.
 */
export async function campaignDetail(
  db: Db,
  campaignId: string,
  cache?: TtlCache,
): Promise<CampaignDetail | undefined> {
  const campaign = await db.campaign.findUnique({
    where: { id: campaignId },
    select: { name: true, status: true, currentVersionId: true },
  });
  if (!campaign) return undefined;
  const [cached, version] = await Promise.all([
    cache
      ? cache.get(`campaigns:report:${campaignId}`, () => campaignReport(db, campaignId))
      : campaignReport(db, campaignId),
    campaign.currentVersionId
      ? db.campaignVersion.findUnique({
          where: { id: campaign.currentVersionId },
          select: { version: true, contentHash: true, source: true, createdAt: true },
        })
      : null,
  ]);
  if (!cached) return undefined;
  const report = {
    ...cached,
    name: campaign.name,
    status: campaign.status,
    version: version?.version ?? null,
  };
  const coupons = await couponResults(db, campaignId);
  return { report, holdout: holdoutOf(report), version, coupons: coupons.codes > 0 ? coupons : null };
}

/**
 * The page's data with every rate formatted in the staff member's locale (`rate` next to each
 * `conversionRate`, `rate` / `heldBackRate` / `uplift` strings on the comparison), so the view prints text.
 */
export function campaignView(detail: CampaignDetail, locale: string) {
  const pct = (share: number | null) => formatPercent(share, locale);
  const { report, holdout } = detail;
  return {
    ...detail,
    report: {
      ...report,
      totals: { ...report.totals, rate: pct(report.totals.conversionRate) },
      rows: report.rows.map((row) => ({ ...row, rate: pct(row.conversionRate) })),
    },
    holdout: holdout && {
      ...holdout,
      rateText: pct(holdout.rate),
      heldBackRateText: pct(holdout.heldBackRate),
      uplift: formatPoints(holdout.upliftPoints, locale),
    },
  };
}
