import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { randomToken } from "../../lib/ids.ts";
import { isLocale } from "../locale.ts";
import type { SignedInStaff } from "../request.ts";

/** The session cookie. Its value is a random token; the database keeps only its sha256. */
export const SESSION_COOKIE = "rapport_session";
/** A session ends after 12 hours without a request. */
export const IDLE_TIMEOUT_MS = 12 * 3_600_000;
/** …and 7 days after sign-in, however active. */
export const ABSOLUTE_TIMEOUT_MS = 7 * 86_400_000;
/** Activity moves the idle deadline at most this often, so browsing is not a database write per request. */
const SLIDE_EVERY_MS = 5 * 60_000;

/** The Session row id of a cookie token. */
export function sessionId(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Cookie attributes: HttpOnly, SameSite=Lax, scoped to /console, Secure when the console is served over https. */
export function sessionCookieOptions(publicUrl: string, maxAgeSeconds?: number) {
  return {
    path: "/console",
    httpOnly: true,
    sameSite: "lax" as const,
    secure: publicUrl.startsWith("https:"),
    ...(maxAgeSeconds !== undefined && { maxAge: maxAgeSeconds }),
  };
}

/**
 * Starts a session for a staff member who just proved who they are: a fresh token (never one the browser
 * already had, against session fixation) in the cookie, a row keyed by its hash with its own CSRF token.
 * Sweeps expired rows on the way.
 */
export async function createSession(
  db: Db,
  clock: Clock,
  staffUserId: string,
  request: FastifyRequest,
  reply: FastifyReply,
  publicUrl: string,
): Promise<{ id: string; csrfToken: string }> {
  const now = clock.now();
  await db.session.deleteMany({ where: { expiresAt: { lt: new Date(now) } } });
  const token = randomToken(32);
  const id = sessionId(token);
  const csrfToken = randomToken(32);
  await db.session.create({
    data: {
      id,
      staffUserId,
      csrfToken,
      createdAt: new Date(now),
      expiresAt: new Date(now + IDLE_TIMEOUT_MS),
      ip: request.ip,
      userAgent: request.headers["user-agent"]?.slice(0, 300) ?? null,
    },
  });
  void reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(publicUrl, ABSOLUTE_TIMEOUT_MS / 1000));
  return { id, csrfToken };
}

/**
 * The staff member behind a request's session cookie, or null when there is none, it is unknown or expired
 * (idle for 12 h, or signed in 7 days ago), or the account is disabled. An expired row is deleted; a live
 * one has its idle deadline moved forward.
 */
export async function loadSession(
  db: Db,
  clock: Clock,
  request: FastifyRequest,
): Promise<SignedInStaff | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token || token.length > 100) return null;
  const id = sessionId(token);
  const session = await db.session.findUnique({ where: { id }, include: { staffUser: true } });
  if (!session) return null;
  const now = clock.now();
  const absoluteEnd = session.createdAt.getTime() + ABSOLUTE_TIMEOUT_MS;
  if (session.expiresAt.getTime() <= now || absoluteEnd <= now || session.staffUser.disabledAt) {
    await db.session.deleteMany({ where: { id } });
    return null;
  }
  const nextExpiry = Math.min(now + IDLE_TIMEOUT_MS, absoluteEnd);
  if (nextExpiry - session.expiresAt.getTime() >= SLIDE_EVERY_MS) {
    await db.session.update({ where: { id }, data: { expiresAt: new Date(nextExpiry) } });
  }
  const user = session.staffUser;
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    locale: isLocale(user.locale) ? user.locale : "en",
    sessionId: id,
    csrfToken: session.csrfToken,
  };
}

/** Ends a session: deletes its row and clears the cookie. */
export async function destroySession(
  db: Db,
  id: string,
  reply: FastifyReply,
  publicUrl: string,
): Promise<void> {
  await db.session.deleteMany({ where: { id } });
  void reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(publicUrl));
}

/** Deletes every expired session row. `createSession` does this too; a scheduler may call it. */
export async function deleteExpiredSessions(db: Db, clock: Clock): Promise<number> {
  const { count } = await db.session.deleteMany({ where: { expiresAt: { lt: new Date(clock.now()) } } });
  return count;
}
