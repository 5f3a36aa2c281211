import type { ChannelName } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** Revenue campaign messages brought, in one currency. */
export interface RevenueLine {
  currency: string;
  amount: string;
  conversions: number;
}

/** Revenue campaign messages brought in the window, per channel and per campaign, per currency. */
export interface AttributedRevenue {
  byChannel: Array<RevenueLine & { channel: ChannelName }>;
  byCampaign: Array<RevenueLine & { campaignId: string; name: string }>;
}

/**
 * `Delivery.revenue` of campaign messages that converted in the window (`convertedAt`), summed per channel
 * and per campaign in each conversion's currency (amounts in different currencies are never added
 * together). One query over the window's conversions; each currency is looked up by the event's key.
 */
export async function attributedRevenue(db: Db, window: DashboardWindow): Promise<AttributedRevenue> {
  const rows = await db.$queryRaw<
    Array<
      RevenueLine & {
        grouped: number;
        channel: ChannelName | null;
        campaignId: string | null;
        name: string | null;
      }
    >
  >(Prisma.sql`
    SELECT GROUPING(d.channel)::int AS grouped, d.channel::text AS channel, d."campaignId", c.name,
      d.currency, sum(d.revenue)::text AS amount, count(*)::int AS conversions
    FROM (
      SELECT x.channel, x."campaignId", x.revenue,
        COALESCE((SELECT e.currency FROM "Event" e WHERE e.id = x."conversionEventId"), '') AS currency
      FROM "Delivery" x
      WHERE x."convertedAt" >= ${utc(window.from)} AND x."convertedAt" < ${utc(window.to)}
        AND x.status = 'sent' AND x."campaignId" IS NOT NULL AND x.revenue IS NOT NULL
    ) d
    LEFT JOIN "Campaign" c ON c.id = d."campaignId"
    GROUP BY GROUPING SETS ((d.channel, d.currency), (d."campaignId", c.name, d.currency))
    ORDER BY d.currency, sum(d.revenue) DESC`);
  const priced = rows.filter((r) => /^[A-Z]{3}$/i.test(r.currency));
  return {
    byChannel: priced
      .filter((r) => r.grouped === 0 && r.channel)
      .map((r) => ({
        channel: r.channel!,
        currency: r.currency,
        amount: r.amount,
        conversions: r.conversions,
      })),
    byCampaign: priced
      .filter((r) => r.grouped === 1 && r.campaignId)
      .map((r) => ({
        campaignId: r.campaignId!,
        name: r.name ?? r.campaignId!,
        currency: r.currency,
        amount: r.amount,
        conversions: r.conversions,
      })),
  };
}
