import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LOCALES, type Locale } from "../../lib/channels.ts";
import { recordAudit } from "../auth/audit.ts";
import { issueLoginCsrf } from "../auth/csrf.ts";
import type { LoginLimiter } from "../auth/login-limit.ts";
import { safeNext } from "../auth/next.ts";
import { dummyVerify, verifyPassword } from "../auth/password.ts";
import { destroySession } from "../auth/sessions.ts";
import { startSignedIn } from "../auth/sign-in.ts";
import type { ConsoleDeps } from "../deps.ts";
import { type ConsoleTextKey, t } from "../i18n.ts";
import { isLocale, LOCALE_NAMES } from "../locale.ts";
import { normalizeEmail, PASSWORD_MAX_LENGTH } from "../staff.ts";
import { render } from "../views/render.ts";

const LoginQuery = z.object({
  next: z.string().optional().catch(undefined),
  lang: z.enum(LOCALES).optional().catch(undefined),
  signed_out: z.string().optional().catch(undefined),
});

const LoginForm = z.object({
  email: z.string().max(320).default(""),
  password: z
    .string()
    .max(PASSWORD_MAX_LENGTH * 4)
    .default(""),
  next: z.string().optional(),
  lang: z.string().optional(),
});

/** What the login view shows. */
interface LoginPage {
  email?: string;
  next?: string;
  error?: string;
  notice?: ConsoleTextKey;
}

/**
 * `GET /console/login` (the form; `?lang=pl` picks its language before anyone is known, else the browser's
 * Accept-Language), `POST /console/login` (rate-limited; on success a new session and a redirect to `next`)
 * and `POST /console/logout`. Failures say the same thing whether the address or the password was wrong.
 */
export function registerLogin(scope: FastifyInstance, deps: ConsoleDeps, limiter: LoginLimiter): void {
  scope.get("/login", { config: { consolePublic: true } }, async (request, reply) => {
    const query = LoginQuery.parse(request.query ?? {});
    if (query.lang) request.consoleView.locale = query.lang;
    if (request.staff) return reply.redirect(safeNext(query.next), 302);
    const notice = query.signed_out ? "login.signedOut" : query.next ? "login.required" : undefined;
    return showLogin(request, reply, deps, { next: query.next, notice });
  });

  scope.post("/login", { config: { consolePublic: true } }, async (request, reply) => {
    const parsed = LoginForm.safeParse(request.body ?? {});
    const form = parsed.success ? parsed.data : { email: "", password: "", next: undefined, lang: undefined };
    if (isLocale(form.lang)) request.consoleView.locale = form.lang;
    const { locale } = request.consoleView;
    const page = { email: form.email.slice(0, 320), next: form.next };

    const verdict = await limiter(request);
    if (!verdict.allowed) {
      request.log.warn({ ip: request.ip }, "console: sign-in attempts rate-limited");
      const when = new Intl.RelativeTimeFormat(locale, { numeric: "always" }).format(
        Math.ceil(verdict.retryAfterSeconds / 60),
        "minute",
      );
      void reply.header("retry-after", String(verdict.retryAfterSeconds));
      return showLogin(request, reply, deps, { ...page, error: t(locale, "login.throttled", { when }) }, 429);
    }

    const email = normalizeEmail(form.email);
    const user = parsed.success && email ? await deps.db.staffUser.findUnique({ where: { email } }) : null;
    const verified =
      user && !user.disabledAt
        ? await verifyPassword(form.password, user.passwordHash)
        : await dummyVerify(form.password);
    const now = new Date(deps.clock.now());
    if (!user || !verified) {
      await recordAudit(deps.db, {
        staffUserId: user?.id ?? null,
        action: "staff.login_failed",
        ...(user && { targetType: "StaffUser", targetId: user.id }),
        data: {
          email: email.slice(0, 320),
          ip: request.ip,
          reason: !user ? "unknown_email" : user.disabledAt ? "disabled" : "wrong_password",
        },
        at: now,
      });
      return showLogin(request, reply, deps, { ...page, error: t(locale, "login.failed") }, 401);
    }

    if (request.staff) await deps.db.session.deleteMany({ where: { id: request.staff.sessionId } });
    await startSignedIn(deps, request, reply, user.id);
    return reply.redirect(safeNext(form.next), 303);
  });

  scope.post("/logout", async (request, reply) => {
    const staff = request.staff!;
    await destroySession(deps.db, staff.sessionId, reply, deps.publicUrl);
    await recordAudit(deps.db, {
      staffUserId: staff.id,
      action: "staff.logout",
      targetType: "StaffUser",
      targetId: staff.id,
      at: new Date(deps.clock.now()),
    });
    return reply.redirect("/console/login?signed_out=1", 303);
  });
}

function showLogin(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: ConsoleDeps,
  page: LoginPage,
  status = 200,
): FastifyReply {
  const csrf = issueLoginCsrf(request, reply, deps.publicUrl);
  const current: Locale = request.consoleView.locale;
  const next = page.next === undefined ? undefined : safeNext(page.next);
  const languages = LOCALES.map((code) => {
    const query = new URLSearchParams({ lang: code, ...(next && { next }) });
    return { code, name: LOCALE_NAMES[code], href: `/console/login?${query}`, current: code === current };
  });
  return render(reply, "login", { ...page, next, languages }, { status, title: "login.title", csrf });
}
