import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import type { FastifyError, FastifyInstance, FastifyRequest } from "fastify";
import { checkCsrf } from "./auth/csrf.ts";
import { requireSignedIn } from "./auth/guard.ts";
import { createLoginLimiter } from "./auth/login-limit.ts";
import { loadSession } from "./auth/sessions.ts";
import type { ConsoleDeps } from "./deps.ts";
import { isTimeZone, preferredLocale } from "./locale.ts";
import { sendProblem } from "./problems.ts";
import { wantsPage } from "./request.ts";
import { registerAudit } from "./routes/audit.ts";
import { registerCampaigns } from "./routes/campaigns.ts";
import { registerCustomers } from "./routes/customers.ts";
import { registerDashboard } from "./routes/dashboard.ts";
import { registerFailures } from "./routes/failures.ts";
import { registerHome } from "./routes/home.ts";
import { registerImport } from "./routes/import.ts";
import { registerInboxArea } from "./routes/inbox-area.ts";
import { registerLogin } from "./routes/login.ts";
import { registerMe } from "./routes/me.ts";
import { registerSegments } from "./routes/segments.ts";
import { registerSetup } from "./routes/setup.ts";
import { registerStaffPages } from "./routes/staff.ts";
import { registerTokens } from "./routes/tokens.ts";
import { registerWebhooks } from "./routes/webhooks.ts";
import { registerAssets } from "./static.ts";
import { consoleViews } from "./views/render.ts";
import { countPausedWebhookSubscriptions } from "./webhooks.ts";

/** The cookie console.js keeps the browser's time zone in, so dates show in the staff member's own. */
const TIMEZONE_COOKIE = "rapport_tz";

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data: https:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

/**
 * The staff console under `/console`, in its own plugin scope: cookies, the login rate limit (in Redis when
 * `deps.redis` is given), the session lookup, the sign-in gate and CSRF check on every route, the pages and
 * the static assets. A page is added by a `register<Page>(scope, deps)` call in the list below.
 */
export async function registerConsole(http: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  consoleViews(); // compiled now, so a broken view stops start-up rather than a page
  const log = deps.log.child({ component: "console" });
  await http.register(
    async (scope) => {
      await scope.register(cookie);
      await scope.register(rateLimit, {
        global: false,
        ...(deps.redis && {
          redis: deps.redis,
          nameSpace: `${deps.redisPrefix ?? "rapport"}:ratelimit:console:`,
        }),
      });
      scope.decorateRequest("staff", null);
      scope.decorateRequest("consoleView", null as never);
      scope.addHook("onRequest", async (request) => {
        request.consoleView = {
          locale: preferredLocale(request.headers["accept-language"]),
          timezone: timezoneOf(request, deps.timezone),
          brandName: deps.brandName,
          clock: deps.clock,
        };
        if (request.routeOptions.config.consoleStatic) return;
        request.staff = await loadSession(deps.db, deps.clock, request);
        if (request.staff) request.consoleView.locale = request.staff.locale;
        // admins see paused webhooks beside the navigation's link, on every page they open
        if (request.staff?.role === "admin" && request.method === "GET" && wantsPage(request)) {
          const paused = await countPausedWebhookSubscriptions(deps.db);
          request.consoleView.navCounts = { "/console/webhooks": paused };
        }
      });
      scope.addHook("onSend", async (_request, reply) => {
        void reply.headers(SECURITY_HEADERS);
      });
      scope.addHook("preHandler", requireSignedIn);
      scope.addHook("preHandler", checkCsrf);
      scope.setErrorHandler((error: FastifyError, request, reply) => {
        const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
        if (status >= 500) log.error({ err: error, url: request.url }, "console request failed");
        else log.warn({ url: request.url, reason: error.message }, "console request rejected");
        if (!request.consoleView) return reply.status(status).send({ error: "internal_error" });
        if (status >= 500) return sendProblem(reply, { kind: "server" });
        if (!wantsPage(request))
          return reply.status(status).send({ error: error.code ?? "bad_request", message: error.message });
        return sendProblem(reply, { kind: "bad_request" });
      });
      scope.setNotFoundHandler(async (_request, reply) => sendProblem(reply, { kind: "not_found" }));

      registerAssets(scope);
      registerLogin(scope, deps, createLoginLimiter(scope));
      registerSetup(scope, deps);
      registerMe(scope, deps);
      registerHome(scope);
      registerStaffPages(scope, deps);
      registerCustomers(scope, deps);
      registerCampaigns(scope, deps);
      registerDashboard(scope, deps);
      registerFailures(scope, deps);
      registerSegments(scope, deps);
      registerTokens(scope, deps);
      registerWebhooks(scope, deps);
      registerImport(scope, deps);
      registerAudit(scope, deps);
      registerInboxArea(scope, deps);
    },
    { prefix: "/console" },
  );
  // the site's root is the console: the address `rapport start` prints works without a path
  http.get("/", async (_request, reply) => reply.redirect("/console", 302));
}

function timezoneOf(request: FastifyRequest, fallback = "UTC"): string {
  const zone = request.cookies[TIMEZONE_COOKIE];
  return isTimeZone(zone) ? zone : fallback;
}
