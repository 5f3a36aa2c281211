import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { createRedis, type Redis } from "../../lib/redis.ts";

/** The Redis the tests use: TEST_REDIS_URL, or the local default. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A queue prefix no other test file uses. */
export function randomPrefix(): string {
  return `rt-${randomBytes(6).toString("hex")}`;
}

/** Deletes every key under a BullMQ prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
}

/**
 * Gives the calling test file a Redis connection and its own key prefix; every key under the prefix is
 * deleted in `afterAll`. Call it once at the top level of the file.
 */
export function useTestRedis(): { readonly redis: Redis; readonly prefix: string; readonly url: string } {
  const prefix = randomPrefix();
  const redis = createRedis(TEST_REDIS_URL);
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });
  return { redis, prefix, url: TEST_REDIS_URL };
}
