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

/** The campaign funnel planned → sent → delivered → converted, from Delivery rows due in the window. */
export async function campaignFunnel(db: Db, window: DashboardWindow): Promise<Funnel> {
  const [row] = await db.$queryRaw<Funnel[]>(Prisma.sql`
    SELECT count(*)::int AS planned,
      count(*) FILTER (WHERE d.status = 'sent')::int AS sent,
      count(*) FILTER (WHERE d.status = 'sent' AND (d."deliveredAt" IS NOT NULL OR d.channel <> 'email'))::int
        AS delivered,
      count(d."convertedAt") FILTER (WHERE d.status = 'sent')::int AS converted
    FROM "Delivery" d
    WHERE d.status IN ('planned', 'queued', 'sent', 'failed', 'suppressed', 'skipped')
      AND d."scheduledAt" >= ${utc(window.from)} AND d."scheduledAt" < ${utc(window.to)}
      AND d."campaignId" IS NOT NULL AND NOT (d.status = 'skipped' AND d.reason IS NOT DISTINCT FROM 'holdout')`);
  return row ?? { planned: 0, sent: 0, delivered: 0, converted: 0 };
}
