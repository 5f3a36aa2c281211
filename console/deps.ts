import type { Segments } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import type { Audiences, PreviewDeps, QueueContext } from "../workers/index.ts";
import type { FailureRetryOutcome } from "./failures.ts";
import type { LiveHub } from "./live.ts";

/** What a staff-asked merge did (bots/merge.ts `MergeResult`): merging twice is harmless and says so. */
export type ConsoleMergeResult =
  | { kind: "merged"; survivorId: string; mergedId: string }
  | { kind: "same"; survivorId: string };

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
   * The secret of the first-start link (`/console/setup?token=…`, console/routes/setup.ts), made by `rapport
   * start` while no staff account exists. Unset: the setup page is closed.
   */
  setupToken?: string;
  /** The queues staff replies and retries are enqueued on (`deliver-<channel>`). Unset: replying answers 503. */
  queues?: QueueContext;
  /** The live-update hub (console/live.ts) behind `/console/events`. Unset: one for this process alone. */
  live?: LiveHub;
  /** Names of the segments a customer is in now (workers/segments-of.ts). Unset: the panel leaves them out. */
  segmentsOf?: (customerId: string) => Promise<string[]>;
  /**
   * Closes a conversation, asking the customer for a rating with `survey` (bots/survey.ts, which console/ may
   * not import). Unset: the console closes it without a survey.
   */
  closeConversation?: (
    conversationId: string,
    options: { survey: boolean; staffUserId: string },
  ) => Promise<void>;
  /**
   * IANA time zone for dates until the browser has told the console its own (console.js sets a cookie).
   * Defaults to UTC.
   */
  timezone?: string;
  /**
   * Merges two customers (bots/merge.ts `mergeCustomers`, which console/ may not import): identities,
   * conversations, orders and deliveries move to the survivor, which is the older of the two whatever the
   * order of the arguments; audited as `customer.merge` by the staff member. Unset: merging is unavailable.
   */
  mergeCustomers?: (survivorId: string, mergedId: string, staffUserId: string) => Promise<ConsoleMergeResult>;
  /** The message templates, for campaign previews. Unset: previews are unavailable. */
  templates?: PreviewDeps["templates"];
  /** HMAC key of unsubscribe links (RAPPORT_LINK_SECRET), so a preview shows the real link. Unset: no previews. */
  linkSecret?: string;
  /** BRAND_URL, which templates link to ("Shop now"). Unset: previews render without it. */
  brandUrl?: string;
  /** Campaign audiences, so a preview can say the customer is not in the audience now. Unset: not checked. */
  audiences?: Audiences;
  /** The named segments of campaigns/segments.yaml as loaded now (the segments page). Unset: not available. */
  segments?: () => Segments;
  /**
   * Re-processes a kept inbound item (`InboundFailure`) through its channel's own path (bots/inbound-failures.ts,
   * which console/ may not import); marks it resolved when that succeeds. Unset: the retry button answers 503.
   */
  retryInboundFailure?: (id: string) => Promise<FailureRetryOutcome>;
  /**
   * Where uploaded imports are stored and for how long (console/import-store.ts); the import itself runs on
   * the `import` queue of `queues`. Unset (or no `queues`): the import pages answer 503.
   */
  imports?: ImportUploads;
  /**
   * Sends one email through the email channel (Resend, or the outbox without credentials), outside the queues
   * and without a Delivery: the campaign page's "Send me a test" (`id` names the message, as a Delivery's id
   * would). Unset: tests cannot be sent.
   */
  sendEmail?: (message: {
    id: string;
    to: string;
    subject: string;
    text: string;
    html?: string;
  }) => Promise<{ providerId: string }>;
}

/** The console's import uploads. */
export interface ImportUploads {
  /** Directory of the uploads, one folder per import: `$RAPPORT_DATA_DIR/imports`. */
  dir: string;
  /** Largest upload in bytes (RAPPORT_IMPORT_MAX_MB); a larger one is refused with 413. */
  maxBytes: number;
  /** Days an upload and its reject file are kept (RAPPORT_IMPORT_KEEP_DAYS). */
  keepDays: number;
}
