import type { Redis } from "../lib/redis.ts";

/**
 * The provider's rate counted per message, not per job: a batch job of 50 chat messages takes 50 sends of
 * `channel.limit`, where BullMQ's limiter counts it as one job. {@link redisSendSlots} shares the very window
 * BullMQ's limiter keeps for the queue (its `limiter` key: a count that expires `durationMs` after the window's
 * first job), so single jobs (replies) and the members of batch jobs draw on one budget, across every worker
 * process of the queue.
 */
export interface SendSlots {
  /**
   * Takes up to `wanted` sends from the current window. `granted` is how many were taken (0 when the window is
   * spent); then `retryInMs` says when the window ends.
   */
  take(wanted: number): Promise<{ granted: number; retryInMs: number }>;
}

/** No limit: every send granted at once (a deliverer called outside a worker, in tests and tools). */
export const UNLIMITED_SLOTS: SendSlots = {
  take: async (wanted) => ({ granted: wanted, retryInMs: 0 }),
};

/**
 * BullMQ's fixed window (moveToActive: `INCR`, `PEXPIRE` on the first, limited while the count is at `max`),
 * taking up to `wanted` at once. A key without expiry is a window that never ends: dropped, as BullMQ drops one
 * whose time is up.
 */
const TAKE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local max = tonumber(ARGV[1])
if used >= max then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then return {0, ttl} end
  redis.call('DEL', KEYS[1])
  used = 0
end
local granted = math.min(tonumber(ARGV[3]), max - used)
if redis.call('INCRBY', KEYS[1], granted) == granted then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {granted, 0}`;

/** Send slots drawn from a BullMQ queue's limiter key (`worker.keys.limiter`), at `limit`. */
export function redisSendSlots(
  redis: Redis,
  limiterKey: string,
  limit: { max: number; durationMs: number },
): SendSlots {
  return {
    async take(wanted) {
      if (wanted <= 0) return { granted: 0, retryInMs: 0 };
      const [granted, retryInMs] = (await redis.eval(
        TAKE,
        1,
        limiterKey,
        limit.max,
        Math.max(1, Math.floor(limit.durationMs)),
        wanted,
      )) as [number, number];
      return { granted, retryInMs };
    },
  };
}

/**
 * A batch job found the window's sends spent for longer than it waits in place: it stops (what it sent is
 * recorded, the rest never marked) and goes back to the queue without spending an attempt, to be taken again
 * when the window ends, as BullMQ's limiter holds a job.
 */
export class SendSlotsSpentError extends Error {
  constructor(readonly retryInMs: number) {
    super(`the provider's rate is spent for ${retryInMs} ms: the rest of the batch waits in the queue`);
    this.name = "SendSlotsSpentError";
  }
}

/** The longest a batch job waits in place for the next window, in ms; longer (X: 15 minutes) it gives way. */
export const SLOT_WAIT_IN_JOB_MS = 2_000;
