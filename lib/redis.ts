import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Redis, type RedisOptions } from "ioredis";
import { ConfigError } from "./errors.ts";
import type { Logger } from "./logger.ts";

export type { Redis };

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` (a blocking connection must wait
 * out a Redis restart instead of failing the job).
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Deletes every key under a prefix (`<prefix>:*`: a BullMQ queue prefix), a thousand keys a round trip. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
}

/** Answers whether something speaks Redis at `url` within `timeoutMs` (default 1 500). */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A Redis server this process started, to be stopped with it. */
export interface EmbeddedRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Makes sure Redis answers at `url`. If nothing does and `redis-server` is on PATH (and the URL names this
 * machine), starts one as a child with its data in `<dataDir>/redis` (append-only file, so queued jobs survive
 * a restart). Otherwise throws a {@link ConfigError} saying how to install Redis or point to one.
 */
export async function ensureRedis(
  url: string,
  dataDir: string,
  log: Logger,
  options: {
    /** The server binary to start. Defaults to `redis-server` on PATH. */
    serverCommand?: string;
    /** Called with the data folder just before starting one (a start-up progress line). */
    onStart?: (dir: string) => void;
  } = {},
): Promise<EmbeddedRedis | undefined> {
  const serverCommand = options.serverCommand ?? "redis-server";
  if (await redisAnswers(url)) return undefined;
  const { hostname, port } = new URL(url);
  const local = ["127.0.0.1", "localhost", "::1", "[::1]"].includes(hostname);
  const hasServer = spawnSync(serverCommand, ["--version"], { stdio: "ignore" }).status === 0;
  if (!local || !hasServer) {
    throw new ConfigError(
      `Redis does not answer at ${url}. ${
        local
          ? "Install it (Debian/Ubuntu: `apt-get install redis-server`; macOS: `brew install redis`)"
          : "Start it"
      }, or set REDIS_URL to a running Redis.`,
      "REDIS_URL",
    );
  }
  const dir = path.join(dataDir, "redis");
  mkdirSync(dir, { recursive: true });
  options.onStart?.(dir);
  const child: ChildProcess = spawn(
    serverCommand,
    ["--port", port || "6379", "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (child.exitCode !== null) break;
    if (await redisAnswers(url, 300)) {
      log.info({ url, dir }, "started an embedded redis-server");
      return {
        url,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new ConfigError(`redis-server did not start on ${url}: ${stderr.trim() || "no output"}`, "REDIS_URL");
}
