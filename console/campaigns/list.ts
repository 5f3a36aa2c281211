import type { CompiledCampaign } from "../../campaigns/index.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { type CampaignListRow, campaignList, type Revenue } from "../../workers/index.ts";
import type { TtlCache } from "../dashboard/cache.ts";
import { oneOffPassed } from "./summary.ts";

/** One campaign in the console's list: its outcome totals and the revenue its sent messages brought. */
export interface CampaignSummary extends CampaignListRow {
  /** Goal events' value of sent messages (the hold-out group left out), per currency. */
  revenue: Revenue[];
  /** A one-off schedule whose date has passed: listed as finished, whatever its status. */
  finished: boolean;
}

/** The campaigns list's figures: what campaignList (workers/reports.ts) counts, and revenue per currency. */
async function countAll(
  db: Db,
): Promise<{ rows: CampaignListRow[]; revenue: Array<Revenue & { campaignId: string }> }> {
  const [rows, revenue] = await Promise.all([
    campaignList(db),
    db.$queryRaw<Array<Revenue & { campaignId: string }>>(Prisma.sql`
      SELECT s."campaignId", NULLIF(s.currency, '') AS currency, sum(s.revenue)::text AS amount
      FROM "CampaignStat" s
      WHERE s.status = 'sent' AND s."withRevenue" <> 0
      GROUP BY s."campaignId", s.currency
      HAVING sum(s."withRevenue") > 0
      ORDER BY NULLIF(s.currency, '') NULLS LAST`),
  ]);
  return { rows, revenue };
}

const NONE = { pending: 0, sent: 0, failed: 0, skipped: 0, conversions: 0 };

/**
 * Every campaign with status, current version, sent / failed / skipped / conversions and revenue per currency.
 * The figures come from the running totals (`CampaignStat`), a few rows per campaign; with a `cache` they are
 * also reused for its lifetime (a minute). Names, statuses and versions are always read fresh, so a pause shows
 * at once.
 */
export async function listCampaigns(db: Db, now: Date, cache?: TtlCache): Promise<CampaignSummary[]> {
  const [counted, campaigns] = await Promise.all([
    cache ? cache.get("campaigns:list", () => countAll(db)) : countAll(db),
    db.campaign.findMany({
      orderBy: { id: "asc" },
      select: { id: true, name: true, status: true, currentVersionId: true, updatedAt: true },
    }),
  ]);
  const versionIds = campaigns.flatMap((c) => (c.currentVersionId ? [c.currentVersionId] : []));
  const versions = versionIds.length
    ? await db.campaignVersion.findMany({
        where: { id: { in: versionIds } },
        select: { id: true, version: true, compiled: true },
      })
    : [];
  return campaigns.map((campaign) => {
    const counts = counted.rows.find((r) => r.id === campaign.id) ?? NONE;
    const version = versions.find((v) => v.id === campaign.currentVersionId);
    const compiled = version?.compiled as CompiledCampaign | undefined;
    return {
      id: campaign.id,
      name: campaign.name,
      status: campaign.status,
      version: version?.version ?? null,
      finished: compiled ? oneOffPassed(compiled.trigger, now) : false,
      updatedAt: campaign.updatedAt,
      pending: counts.pending,
      sent: counts.sent,
      failed: counts.failed,
      skipped: counts.skipped,
      conversions: counts.conversions,
      revenue: counted.revenue
        .filter((r) => r.campaignId === campaign.id)
        .map(({ currency, amount }) => ({ currency, amount })),
    };
  });
}
