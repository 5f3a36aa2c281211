import type { Db } from "../../lib/db/index.ts";
import type { TtlCache } from "./cache.ts";
import { type Csat, csat } from "./csat.ts";
import { campaignFunnel, type Funnel } from "./funnel.ts";
import { type MessagesDay, messagesPerDay } from "./messages.ts";
import { type ResponseTimes, responseTimes } from "./response-time.ts";
import { type AttributedRevenue, attributedRevenue } from "./revenue.ts";
import { customersBySource, type SourceCount } from "./sources.ts";
import type { DashboardWindow } from "./window.ts";

/** Every figure of the dashboard for one window. */
export interface DashboardData {
  window: DashboardWindow;
  /** When the figures were computed (they are reused for up to a minute). */
  computedAt: Date;
  messages: MessagesDay[];
  responses: ResponseTimes;
  csat: Csat;
  funnel: Funnel;
  revenue: AttributedRevenue;
  sources: SourceCount[];
}

/**
 * The dashboard's figures: six set-based queries run side by side, the result kept in `cache` for its TTL per
 * (zone, first day), so a busy console asks the database at most once a minute per time zone.
 */
export function dashboardData(db: Db, window: DashboardWindow, cache: TtlCache): Promise<DashboardData> {
  return cache.get(`dashboard|${window.zone}|${window.days[0]}|${window.days.length}`, async () => {
    const [messages, responses, satisfaction, funnel, revenue, sources] = await Promise.all([
      messagesPerDay(db, window),
      responseTimes(db, window),
      csat(db, window),
      campaignFunnel(db, window),
      attributedRevenue(db, window),
      customersBySource(db, window),
    ]);
    return {
      window,
      computedAt: window.to,
      messages,
      responses,
      csat: satisfaction,
      funnel,
      revenue,
      sources,
    };
  });
}
