import { type Db, Prisma } from "../../lib/db/index.ts";
import { utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** Campaign messages due in the window, and how far they got. */
export interface Funnel {
  /** Every campaign Delivery due in the window, the hold-out group left out. */
  planned: number;
  sent: number;
  /** Sent and delivered: confirmed by the email provider; chat messages once the platform accepted them. */
  delivered: number;
  /** Sent and followed by the campaign's goal. */
  converted: number;
}

const HOUR = 3_600_000;

/**
 * The campaign funnel planned → sent → delivered → converted of the Deliveries due (`scheduledAt`) in the
 * window. The whole hours inside it are read from `DeliveryHourStat` (running totals per hour, kept by triggers
 * on "Delivery": a few thousand rows for 30 days, however many messages); the part hours at its ends — the
 * current hour, and the first one when the zone's midnight is not on the hour (UTC+05:30) — from the
 * Delivery rows themselves. Exact either way.
 */
export async function campaignFunnel(db: Db, window: DashboardWindow): Promise<Funnel> {
  const from = window.from.getTime();
  const to = window.to.getTime();
  const wholeFrom = Math.min(Math.ceil(from / HOUR) * HOUR, to);
  const wholeTo = Math.max(Math.floor(to / HOUR) * HOUR, wholeFrom);
  const [row] = await db.$queryRaw<Funnel[]>(Prisma.sql`
    WITH hours AS (
      SELECT COALESCE(sum(h.deliveries) FILTER (WHERE NOT h.holdout), 0) AS planned,
        COALESCE(sum(h.deliveries) FILTER (WHERE h.status = 'sent'), 0) AS sent,
        COALESCE(sum(CASE WHEN h.channel = 'email' THEN h.delivered ELSE h.deliveries END)
          FILTER (WHERE h.status = 'sent'), 0) AS delivered,
        COALESCE(sum(h.converted) FILTER (WHERE h.status = 'sent'), 0) AS converted
      FROM "DeliveryHourStat" h
      WHERE h.hour >= ${utc(new Date(wholeFrom))} AND h.hour < ${utc(new Date(wholeTo))}
    ), ends AS (
      SELECT count(*) AS planned,
        count(*) FILTER (WHERE d.status = 'sent') AS sent,
        count(*) FILTER (WHERE d.status = 'sent' AND (d."deliveredAt" IS NOT NULL OR d.channel <> 'email'))
          AS delivered,
        count(d."convertedAt") FILTER (WHERE d.status = 'sent') AS converted
      FROM "Delivery" d
      WHERE d.status IN ('planned', 'queued', 'sent', 'failed', 'suppressed', 'skipped')
        AND ((d."scheduledAt" >= ${utc(window.from)} AND d."scheduledAt" < ${utc(new Date(wholeFrom))})
          OR (d."scheduledAt" >= ${utc(new Date(wholeTo))} AND d."scheduledAt" < ${utc(window.to)}))
        AND d."campaignId" IS NOT NULL AND NOT (d.status = 'skipped' AND d.reason IS NOT DISTINCT FROM 'holdout')
    )
    SELECT (h.planned + e.planned)::int AS planned, (h.sent + e.sent)::int AS sent,
      (h.delivered + e.delivered)::int AS delivered, (h.converted + e.converted)::int AS converted
    FROM hours h, ends e`);
  return row ?? { planned: 0, sent: 0, delivered: 0, converted: 0 };
}
