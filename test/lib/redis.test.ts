import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/errors.ts";
import { silentLogger } from "../../lib/logger.ts";
import { createRedis, ensureRedis, redisAnswers } from "../../lib/redis.ts";
import { TEST_REDIS_URL } from "../support/redis.ts";

const dataDir = mkdtempSync(path.join(tmpdir(), "rapport-redis-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("ensureRedis", () => {
  it("uses a Redis that answers and starts nothing", async () => {
    const started: string[] = [];
    const onStart = (dir: string) => void started.push(dir);
    expect(await ensureRedis(TEST_REDIS_URL, dataDir, silentLogger, { onStart })).toBeUndefined();
    expect(started).toEqual([]);
  });

  it("starts redis-server with its data in the data dir when nothing answers, says so, and stops it", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    expect(await redisAnswers(url, 300)).toBe(false);
    // `rapport start` prints "starting Redis (redis-server, data in …)…" from this call
    const started: string[] = [];
    const embedded = await ensureRedis(url, dataDir, silentLogger, { onStart: (dir) => started.push(dir) });
    expect(embedded).toBeDefined();
    expect(started).toEqual([path.join(dataDir, "redis")]);
    const client = createRedis(url);
    await client.set("k", "v");
    expect(await client.config("GET", "dir")).toEqual(["dir", path.join(dataDir, "redis")]);
    client.disconnect();
    await embedded!.stop();
    expect(await redisAnswers(url, 300)).toBe(false);
  });

  it("explains how to install or point to Redis when none answers and redis-server is missing", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const attempt = ensureRedis(url, dataDir, silentLogger, { serverCommand: "redis-server-not-installed" });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(
      ensureRedis(url, dataDir, silentLogger, { serverCommand: "redis-server-not-installed" }),
    ).rejects.toThrow(
      /Redis does not answer at redis:\/\/127\.0\.0\.1:\d+\. Install it \(Debian\/Ubuntu: `apt-get install redis-server`.*or set REDIS_URL/,
    );
  });
});
