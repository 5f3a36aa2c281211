import type { Redis } from "../lib/redis.ts";

/**
 * The provider's rate counted per message, not per job: a batch job of 50 chat messages takes 50 sends of
 * `channel.limit`, where BullMQ's limiter counts it as one job. {@link redisSendSlots} spaces them evenly
 * (one send every `durationMs / max`, a GCRA: one "next send at" time in Redis, shared by every worker process
 * of the queue), because providers count any second: a fixed window, as BullMQ's limiter keeps, lets a
 * window's sends come at its end and the next one's at its start, twice the limit within one second (bench/README,
 * "Provider limits": Telegram answered 429 to those bursts).
 */
export interface SendSlots {
  /**
   * Reserves up to `wanted` sends, spaced evenly. `granted` is how many (0 when the first would be more than
   * {@link SLOT_WAIT_IN_JOB_MS} away: then `retryInMs` says when); the first may go `startInMs` from now, each
   * next one `everyMs` after the one before.
   */
  take(wanted: number): Promise<SlotGrant>;
}

/** What {@link SendSlots.take} reserved. */
export interface SlotGrant {
  granted: number;
  retryInMs: number;
  startInMs: number;
  everyMs: number;
}

/** No limit: every send granted at once (a deliverer called outside a worker, in tests and tools). */
export const UNLIMITED_SLOTS: SendSlots = {
  take: async (wanted) => ({ granted: wanted, retryInMs: 0, startInMs: 0, everyMs: 0 }),
};

/**
 * The next send's time (ms, Redis's clock) moves on `every` ms per send reserved. One call reserves at most
 * `span` ms of sends ({@link CHUNK_SPAN_MS}), so a worker that dies holds few, and none when the first would
 * wait over `wait`.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local every = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local start = tat - now
if start > tonumber(ARGV[3]) then return {0, tostring(start), '0'} end
local n = math.max(1, math.min(tonumber(ARGV[2]), math.floor(tonumber(ARGV[4]) / every)))
local after = tat + n * every
redis.call('SET', KEYS[1], tostring(after), 'PX', math.ceil(after - now) + 1000)
return {n, '0', tostring(start)}`;

/** Send slots at `limit`, kept beside a BullMQ queue's limiter key (`worker.keys.limiter`). */
export function redisSendSlots(
  redis: Redis,
  limiterKey: string,
  limit: { max: number; durationMs: number },
): SendSlots {
  const everyMs = Math.max(limit.durationMs, 1) / Math.max(limit.max, 1);
  const span = Math.min(limit.durationMs, SLOT_WAIT_IN_JOB_MS, CHUNK_SPAN_MS);
  return {
    async take(wanted) {
      if (wanted <= 0) return { granted: 0, retryInMs: 0, startInMs: 0, everyMs };
      const [granted, retry, start] = (await redis.eval(
        TAKE,
        1,
        `${limiterKey}:sends`,
        everyMs,
        wanted,
        SLOT_WAIT_IN_JOB_MS,
        span,
      )) as [number, string, string];
      return { granted, retryInMs: Math.ceil(Number(retry)), startInMs: Number(start), everyMs };
    },
  };
}

/**
 * A batch job found the provider's rate taken for longer than it waits in place: it stops (what it sent is
 * recorded, the rest never marked) and goes back to the queue without spending an attempt, which waits that
 * long (`worker.rateLimit`).
 */
export class SendSlotsSpentError extends Error {
  constructor(readonly retryInMs: number) {
    super(`the provider's rate is spent for ${retryInMs} ms: the rest of the batch waits in the queue`);
    this.name = "SendSlotsSpentError";
  }
}

/**
 * The longest stretch of sends one reservation covers, in ms: a chunk is marked begun when its turn comes, so
 * this bounds what a worker that dies leaves as unknown_outcome (Telegram at 25/s: 6 messages). Without a limit
 * in the way (one send every few µs) it is still the whole batch at once.
 */
export const CHUNK_SPAN_MS = 250;

/** The longest a batch job waits in place for its next send, in ms; longer (X: 9 s a post) it gives way. */
export const SLOT_WAIT_IN_JOB_MS = 2_000;
