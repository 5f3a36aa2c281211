/**
 * How a deliver job retries a send that failed for a reason that may pass: a provider's 5xx, a timeout, a
 * network error, the database away. Not by a small count of attempts (a provider down for a quarter of an
 * hour would fail a whole campaign for good) but for a window of time, with pauses that double and then stay
 * at a cap, so a provider back from an outage is used again within seconds. A 429 is not a failure: the queue
 * waits for the provider's own Retry-After (workers/deliver.ts) and spends no attempt.
 */
export interface RetryPolicy {
  /** The pause after the first failure, in ms; it doubles with each failure after it. */
  firstMs: number;
  /** The longest pause between two tries, in ms. */
  capMs: number;
  /**
   * How long after its first failure a message is still tried, in ms. The first try past it that fails
   * fails the Delivery for good (reason `retries_exhausted`).
   */
  windowMs: number;
}

/** Rapport's policy: 2, 4, 8 s, then every 15 s (less up to a fifth, so a storm's retries spread), for 24 h. */
export const DELIVER_RETRY: RetryPolicy = { firstMs: 2_000, capMs: 15_000, windowMs: 24 * 3_600_000 };

/** The BullMQ backoff type of deliver jobs: computed by {@link retryDelayMs} (the deliver worker's strategy). */
export const DELIVER_BACKOFF = "rapport-capped";

/**
 * Attempts a deliver job may make: only a bound, far beyond what the window allows (even at the shortest
 * pause, 10 000 tries last over 33 h), so the window is what ends a message's retries.
 */
export const DELIVER_ATTEMPTS = 10_000;

/**
 * The pause before the next try after the `failures`-th failure (1 for the first), in ms: `firstMs` doubling
 * up to `capMs`, each less a random share of up to a fifth, so jobs that failed together do not all come back
 * in the same instant. Never above `capMs`.
 */
export function retryDelayMs(
  failures: number,
  policy: RetryPolicy = DELIVER_RETRY,
  random: () => number = Math.random,
): number {
  const doublings = Math.min(Math.max(0, failures - 1), 30);
  const full = Math.min(policy.capMs, policy.firstMs * 2 ** doublings);
  return Math.round(full * (1 - 0.2 * random()));
}

/**
 * Whether this try is a job's last: its attempts are used up, or it has been failing (since `failingSince`,
 * ms) for the whole window. A send that fails on its last try fails the Delivery for good.
 */
export function isLastTry(
  job: { attemptsMade: number; opts: { attempts?: number }; data: { failingSince?: number } },
  now: number,
  policy: RetryPolicy = DELIVER_RETRY,
): boolean {
  if (job.attemptsMade + 1 >= (job.opts.attempts ?? DELIVER_ATTEMPTS)) return true;
  const since = job.data.failingSince;
  return since !== undefined && now - since >= policy.windowMs;
}
