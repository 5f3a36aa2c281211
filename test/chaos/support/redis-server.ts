import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redisAnswers } from "../../../lib/redis.ts";
import { freePort } from "../../support/process.ts";

/** A `redis-server` of the test's own, on its own port, persisting to an append-only file in a temp dir. */
export interface ChaosRedis {
  readonly url: string;
  readonly port: number;
  /** The folder holding its append-only file. */
  readonly dir: string;
  /** `kill -9` the server, then wait until the operating system has reaped it. */
  kill9(): Promise<void>;
  /** Starts it again on the same port from the same folder (it reloads its AOF) and waits until it answers. */
  restart(): Promise<void>;
  /** Stops it and deletes its folder. */
  close(): Promise<void>;
}

/**
 * Starts `redis-server` as Rapport's managed one runs (`ensureRedis` in lib/redis.ts: `--appendonly yes`,
 * no RDB snapshots, so `appendfsync everysec`) on a free port. A SIGKILL of the process loses nothing Redis
 * has answered: each event-loop round writes the AOF buffer to the file (`write(2)`, into the kernel) before
 * the replies of that round go out (only a disk so slow that an fsync lasts over a second postpones that, for
 * up to 2 s). `everysec` bounds what a crash of the whole machine loses: the last second.
 */
export async function startChaosRedis(): Promise<ChaosRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "rapport-chaos-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    const server = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    server.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    child = server;
    exited = new Promise((resolve) => server.once("exit", () => resolve()));
    const killOnExit = () => server.kill("SIGKILL");
    process.once("exit", killOnExit);
    void exited.then(() => process.removeListener("exit", killOnExit));
    for (let waited = 0; waited < 15_000; waited += 50) {
      if (server.exitCode !== null) break;
      if (await redisAnswers(url, 300)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    server.kill("SIGKILL");
    throw new Error(`redis-server did not start on ${url}: ${stderr.trim() || "no output"}`);
  }

  await start();
  return {
    url,
    port,
    dir,
    async kill9() {
      child?.kill("SIGKILL");
      await exited;
    },
    restart: start,
    async close() {
      child?.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
