import type { FastifyInstance } from "fastify";
import { requireRole } from "../auth/guard.ts";
import { createTtlCache } from "../dashboard/cache.ts";
import { LISTENING_DAYS, listeningCard, listeningFigures } from "../dashboard/listening.ts";
import { rfmDashboard } from "../dashboard/rfm.ts";
import { dashboardData } from "../dashboard/summary.ts";
import { dashboardView, dayLabel, formatDuration } from "../dashboard/view.ts";
import { dashboardWindow } from "../dashboard/window.ts";
import type { ConsoleDeps } from "../deps.ts";
import { countOpenFailures } from "../failures.ts";
import { formatNumber } from "../format.ts";
import { render } from "../views/render.ts";
import { pausedWebhookSubscriptions } from "../webhooks.ts";

/**
 * `GET /console/dashboard`, for every role: the last 30 days in the staff member's time zone — messages per
 * channel and day, first-response times, CSAT, the campaign funnel, attributed revenue and new customers by
 * source — each as an SVG chart with its numbers in a table; and the listening desk's last 14 days (posts per
 * day, answered share, median time to answer). Figures are cached in this process for 60 s.
 */
export function registerDashboard(scope: FastifyInstance, deps: ConsoleDeps): void {
  const cache = createTtlCache(deps.clock);
  // the listening desk's card: the last 14 days, cached as the other figures are
  const listeningOf = (timezone: string) => {
    const window = dashboardWindow(deps.clock.now(), timezone, LISTENING_DAYS);
    return cache.get(`listening|${window.zone}|${window.days[0]}`, () => listeningFigures(deps.db, window));
  };
  scope.get(
    "/dashboard",
    { preHandler: requireRole("admin", "agent", "marketer") },
    async (request, reply) => {
      const { locale, timezone } = request.consoleView;
      const data = await dashboardData(deps.db, dashboardWindow(deps.clock.now(), timezone), cache);
      // admins see how many inbound items wait in the dead-letter table, uncached: a retry shows at once
      const admin = request.staff?.role === "admin";
      const failures = admin ? await countOpenFailures(deps.db) : 0;
      // and the webhook subscriptions paused after 3 days of failures, to fix the receiver and resume them
      const pausedWebhooks = admin ? await pausedWebhookSubscriptions(deps.db) : [];
      const view = {
        ...dashboardView(data, locale),
        failures,
        pausedWebhooks,
        rfm: await rfmDashboard(deps.db, locale),
        listening: listeningCard(await listeningOf(timezone), locale, {
          count: (value) => formatNumber(value, locale),
          day: (day) => dayLabel(day, locale, "short"),
          duration: (seconds) => formatDuration(seconds, locale),
        }),
      };
      return render(reply, "dashboard/index", view, { title: "dashboard.title" });
    },
  );
}
