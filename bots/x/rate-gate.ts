import type { TwitterRateLimit } from "twitter-api-v2";
import type { Clock } from "../../lib/clock.ts";

/** When X gives no reset on a 429, wait one full 15-minute window. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 15 * 60_000;

/** Backoff after a 5xx or network error: doubles from `baseMs` up to `maxMs`. */
export interface Backoff {
  /** First wait in ms. Defaults to 5 000. */
  baseMs: number;
  /** Longest wait in ms. Defaults to 900 000 (one rate-limit window). */
  maxMs: number;
}

/**
 * Per-route permission to call X, from X's own signals: a window with `remaining` 0 or a 429 closes the route
 * until `x-rate-limit-reset`; errors close it for a doubling backoff. Calling a closed route would only earn
 * another 429 (and, on pay-per-use plans, cost money), so callers ask {@link RateGate.waitMs} first.
 */
export class RateGate {
  private readonly closedUntil = new Map<string, number>();
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly backoff: Backoff = { baseMs: 5_000, maxMs: 900_000 },
  ) {}

  /** Milliseconds until `route` may be called; 0 when it may be called now. */
  waitMs(route: string): number {
    return Math.max(0, (this.closedUntil.get(route) ?? 0) - this.clock.now());
  }

  /** Records a successful response's `x-rate-limit-*` headers (and X's 24-hour limits when present). */
  succeeded(route: string, rateLimit: TwitterRateLimit | undefined): void {
    this.failures.delete(route);
    this.closedUntil.delete(route);
    if (!rateLimit) return;
    const exhausted = [rateLimit, rateLimit.day, rateLimit.userDay].filter(
      (window) => window !== undefined && window.remaining <= 0 && Number.isFinite(window.reset),
    );
    const until = Math.max(0, ...exhausted.map((window) => window!.reset * 1000));
    if (until > this.clock.now()) this.closedUntil.set(route, until);
  }

  /** Records a 429: closed until X's reset (epoch seconds), or one window when X sent none. */
  rateLimited(route: string, resetEpochSeconds: number | undefined): number {
    const until =
      resetEpochSeconds !== undefined && Number.isFinite(resetEpochSeconds) && resetEpochSeconds > 0
        ? resetEpochSeconds * 1000
        : this.clock.now() + DEFAULT_RATE_LIMIT_WAIT_MS;
    this.closedUntil.set(route, until);
    return Math.max(0, until - this.clock.now());
  }

  /** Records a 5xx, network or auth failure: closed for a doubling backoff. Returns the wait in ms. */
  failed(route: string): number {
    const count = (this.failures.get(route) ?? 0) + 1;
    this.failures.set(route, count);
    const wait = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** (count - 1));
    this.closedUntil.set(route, this.clock.now() + wait);
    return wait;
  }
}
