/** A route's rate limit: `limit` requests per `windowMs`, shared per major parameter (the channel id). */
export interface BucketRule {
  /** Discord's opaque bucket hash, sent as `X-RateLimit-Bucket`. */
  hash: string;
  limit: number;
  windowMs: number;
}

/** Default buckets: 5 messages per 5 s per channel (Discord's documented per-channel send limit), 50/s else. */
export const DISCORD_BUCKETS = {
  messages: { hash: "80c17d2f203122d936070c88c8d10f33", limit: 5, windowMs: 5_000 },
  other: { hash: "41f9cd5d28af77da04563bcb1d67fdfd", limit: 50, windowMs: 1_000 },
} satisfies Record<string, BucketRule>;

interface BucketState {
  remaining: number;
  resetAt: number;
}

/** What a request may do under its bucket, with the headers to send either way. */
export interface BucketVerdict {
  allowed: boolean;
  /** ms until the bucket refills. */
  resetAfterMs: number;
  headers: Record<string, string>;
}

/** Per-route, per-channel fixed windows with Discord's `X-RateLimit-*` headers. */
export class RateLimits {
  readonly #buckets = new Map<string, BucketState>();

  constructor(
    private readonly now: () => number,
    private readonly enforce: boolean,
  ) {}

  /** Counts one request against `rule` for `major` (e.g. the channel id) and says whether it may pass. */
  take(rule: BucketRule, major: string): BucketVerdict {
    const key = `${rule.hash}:${major}`;
    const now = this.now();
    let state = this.#buckets.get(key);
    if (state === undefined || state.resetAt <= now) {
      state = { remaining: rule.limit, resetAt: now + rule.windowMs };
      this.#buckets.set(key, state);
    }
    const allowed = !this.enforce || state.remaining > 0;
    if (allowed && state.remaining > 0) state.remaining -= 1;
    const resetAfterMs = state.resetAt - now;
    return {
      allowed,
      resetAfterMs,
      headers: limitHeaders(rule, state.remaining, state.resetAt, resetAfterMs),
    };
  }
}

/** Discord's rate-limit headers: reset as epoch seconds and reset-after as seconds, both with ms precision. */
export function limitHeaders(
  rule: BucketRule,
  remaining: number,
  resetAt: number,
  resetAfterMs: number,
): Record<string, string> {
  return {
    "x-ratelimit-limit": String(rule.limit),
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": (resetAt / 1000).toFixed(3),
    "x-ratelimit-reset-after": (resetAfterMs / 1000).toFixed(3),
    "x-ratelimit-bucket": rule.hash,
  };
}

/** A 429 as Discord sends it: JSON body with `retry_after` in seconds, `Retry-After` header rounded up. */
export function tooManyRequests(
  retryAfterSeconds: number,
  global: boolean,
): { body: Record<string, unknown>; headers: Record<string, string> } {
  return {
    body: {
      message: "You are being rate limited.",
      retry_after: retryAfterSeconds,
      global,
      ...(global ? { code: 0 } : {}),
    },
    headers: {
      "retry-after": String(Math.ceil(retryAfterSeconds)),
      "x-ratelimit-scope": global ? "global" : "user",
      ...(global ? { "x-ratelimit-global": "true" } : {}),
    },
  };
}
