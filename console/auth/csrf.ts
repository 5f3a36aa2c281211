import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { randomToken } from "../../lib/ids.ts";
import { sendProblem } from "../problems.ts";

/** The cookie holding the login form's CSRF token (double submit: nobody has a session yet). */
export const LOGIN_CSRF_COOKIE = "rapport_login_csrf";
/** How long a login form stays usable: 2 hours. */
const LOGIN_FORM_SECONDS = 2 * 3600;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether two tokens are equal, in time that does not depend on where they differ. */
export function tokensMatch(given: unknown, expected: string): boolean {
  if (typeof given !== "string" || given.length === 0 || expected.length === 0) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries: form field `_csrf`, else header `x-csrf-token`. */
export function csrfTokenOf(request: FastifyRequest): unknown {
  const body = request.body;
  const field = body && typeof body === "object" ? (body as Record<string, unknown>)["_csrf"] : undefined;
  return field ?? request.headers["x-csrf-token"];
}

/**
 * Gives the login form (or another form of a public page: `path`) its CSRF token: an existing cookie's, else a
 * new one in a cookie scoped to that page (HttpOnly, SameSite=Strict, 2 hours).
 */
export function issueLoginCsrf(
  request: FastifyRequest,
  reply: FastifyReply,
  publicUrl: string,
  path = "/console/login",
): string {
  const existing = request.cookies[LOGIN_CSRF_COOKIE];
  if (existing && /^[\w-]{43}$/.test(existing)) return existing;
  const token = randomToken(32);
  void reply.setCookie(LOGIN_CSRF_COOKIE, token, {
    path,
    httpOnly: true,
    sameSite: "strict",
    secure: publicUrl.startsWith("https:"),
    maxAge: LOGIN_FORM_SECONDS,
  });
  return token;
}

/**
 * The console's CSRF check, run before every console route after sign-in is checked: a request that can
 * change something (not GET, HEAD or OPTIONS) must carry the session's token; on a public route (login),
 * the token of the login cookie. Otherwise 403, as a page or JSON.
 */
export async function checkCsrf(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (SAFE_METHODS.has(request.method) || request.routeOptions.config.consoleStatic) return;
  const expected = request.routeOptions.config.consolePublic
    ? request.cookies[LOGIN_CSRF_COOKIE]
    : request.staff?.csrfToken;
  if (expected && tokensMatch(csrfTokenOf(request), expected)) return;
  request.log.warn(
    { url: request.url, signedIn: Boolean(request.staff) },
    "console: CSRF token missing or wrong",
  );
  return sendProblem(reply, { kind: "csrf" });
}
