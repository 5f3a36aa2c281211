import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";

/**
 * Everything the console needs from the process that serves it. `cli/app.ts` builds it once; every page gets
 * it from `registerConsole`.
 *
 * Later pages add their own dependencies here (the queues a reply is enqueued on, the live-update hub for
 * SSE, the template store for previews, …), as optional fields until `cli/app.ts` passes them, with a TSDoc
 * line each.
 */
export interface ConsoleDeps {
  db: Db;
  /** Redis for the login rate limit, shared by every process serving the console. Unset: per-process memory. */
  redis?: Redis;
  /** Prefix of the console's Redis keys (`<prefix>:ratelimit:console:…`). Defaults to "rapport". */
  redisPrefix?: string;
  clock: Clock;
  log: Logger;
  /** PUBLIC_URL, without a trailing slash. An https URL makes the session cookie `Secure`. */
  publicUrl: string;
  /** Shown in the header and page titles. */
  brandName: string;
  /**
   * IANA time zone for dates until the browser has told the console its own (console.js sets a cookie).
   * Defaults to UTC.
   */
  timezone?: string;
}
