import type { FastifyInstance } from "fastify";
import { requireRole } from "../auth/guard.ts";
import { createTtlCache } from "../dashboard/cache.ts";
import { rfmDashboard } from "../dashboard/rfm.ts";
import { dashboardData } from "../dashboard/summary.ts";
import { dashboardView } from "../dashboard/view.ts";
import { dashboardWindow } from "../dashboard/window.ts";
import type { ConsoleDeps } from "../deps.ts";
import { countOpenFailures } from "../failures.ts";
import { render } from "../views/render.ts";
import { pausedWebhookSubscriptions } from "../webhooks.ts";

/**
 * `GET /console/dashboard`, for every role: the last 30 days in the staff member's time zone — messages per
 * channel and day, first-response times, CSAT, the campaign funnel, attributed revenue and new customers by
 * source — each as an SVG chart with its numbers in a table. Figures are cached in this process for 60 s.
 */
export function registerDashboard(scope: FastifyInstance, deps: ConsoleDeps): void {
  const cache = createTtlCache(deps.clock);
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
      };
      return render(reply, "dashboard/index", view, { title: "dashboard.title" });
    },
  );
}
