import { randomUUID } from "node:crypto";
import type { Redis } from "../../lib/redis.ts";

/** How long a lock holds at most when its holder dies, in ms. */
const LOCK_TTL_MS = 10_000;
/** How long a reply waits for another one on the same conversation, in ms, before going ahead unlocked. */
const WAIT_MS = 3_000;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * Runs `fn` while no other reply to the same conversation runs, in any process (a Redis lock,
 * `<prefix>:console:reply:<conversation>`): checking what happened since the page was opened and queueing
 * the reply are then one step, so two staff members pressing Send together give one reply and one warning.
 * Waits a little for the other; a holder that died frees it after {@link LOCK_TTL_MS}.
 */
export async function whileReplying<T>(
  redis: Redis,
  prefix: string,
  conversationId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const key = `${prefix}:console:reply:${conversationId}`;
  const token = randomUUID();
  const deadline = Date.now() + WAIT_MS;
  let held = false;
  while (!held) {
    held = (await redis.set(key, token, "PX", LOCK_TTL_MS, "NX")) === "OK";
    if (held || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  try {
    return await fn();
  } finally {
    if (held) await redis.eval(RELEASE, 1, key, token);
  }
}
