import type { Clock } from "../../lib/clock.ts";

/** How long dashboard figures are reused: 60 s. */
export const DASHBOARD_TTL_MS = 60_000;

/** A small in-memory cache of computed values, per process, with a time to live. */
export interface TtlCache {
  /** The value under `key` while it is fresh, else `compute()`'s (shared by concurrent callers). */
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
  /** Forgets everything (tests, benchmarks of cold pages). */
  clear(): void;
}

/**
 * A cache whose entries live `ttlMs` by `clock`. A computation that fails is not kept. At most `maxEntries`
 * keys: the oldest goes first.
 */
export function createTtlCache(clock: Clock, ttlMs = DASHBOARD_TTL_MS, maxEntries = 50): TtlCache {
  const entries = new Map<string, { expires: number; value: Promise<unknown> }>();
  return {
    get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const now = clock.now();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return hit.value as Promise<T>;
      entries.delete(key);
      const value = compute();
      entries.set(key, { expires: now + ttlMs, value });
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return value;
    },
    clear: () => entries.clear(),
  };
}
