import type { FastifyRequest } from "fastify";
import type { Locale } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { StaffRole } from "../lib/db/index.ts";

/** The staff member behind a request, and the session it came with. */
export interface SignedInStaff {
  id: string;
  email: string;
  name: string | null;
  role: StaffRole;
  locale: Locale;
  /** sha256 of the session cookie: the Session row's id. */
  sessionId: string;
  /** The session's CSRF token: forms carry it as `_csrf`, scripts as the `x-csrf-token` header. */
  csrfToken: string;
}

/** How a console page is presented: its language, time zone and brand. */
export interface ViewSettings {
  locale: Locale;
  /** IANA time zone of dates: the browser's, else the console's default. */
  timezone: string;
  brandName: string;
  clock: Clock;
  /** Numbers the navigation shows beside a page, by its path (paused webhooks for admins). */
  navCounts?: Readonly<Record<string, number>>;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Under /console: the signed-in staff member, or null. Set before any handler runs. */
    staff: SignedInStaff | null;
    /** Under /console: the language, time zone and brand pages render with. */
    consoleView: ViewSettings;
  }
  interface FastifyContextConfig {
    /** A console route anyone may reach without signing in (the login page). */
    consolePublic?: boolean;
    /** A console route serving files: no session lookup, no sign-in (assets). */
    consoleStatic?: boolean;
  }
}

/** Whether the request is an htmx request (header `HX-Request`). */
export function isHtmx(request: FastifyRequest): boolean {
  return request.headers["hx-request"] === "true";
}

/** Whether the request opens a server-sent event stream (`Accept: text/event-stream`). */
export function isEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? "").includes("text/event-stream");
}

/**
 * Whether the answer should be a whole HTML page: a browser navigation or form post, not fetch, htmx or SSE.
 * Browsers send `Accept: text/html` for both; scripts and curl do not.
 */
export function wantsPage(request: FastifyRequest): boolean {
  return !isHtmx(request) && !isEventStream(request) && (request.headers.accept ?? "").includes("text/html");
}

/**
 * Every value of a form field sent more than once (checkboxes: `scopes=a&scopes=b`), which the form body
 * parser (lib/http.ts) keeps only the last of; undefined when the body is not a form (JSON sends an array).
 */
export function repeatedFormField(request: FastifyRequest, name: string): string[] | undefined {
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") || !request.rawBody) return undefined;
  return new URLSearchParams(request.rawBody.toString("utf8")).getAll(name);
}
