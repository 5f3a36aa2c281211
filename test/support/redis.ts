import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { createRedis, deletePrefix, type Redis } from "../../lib/redis.ts";

/** The Redis the tests use: TEST_REDIS_URL, or the local default. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A queue prefix no other test file uses. */
export function randomPrefix(): string {
  return `rt-${randomBytes(6).toString("hex")}`;
}

export { deletePrefix };

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
