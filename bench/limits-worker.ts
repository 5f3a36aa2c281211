/**
 * One `rapport worker`-like process for bench/limits.ts: the deliver worker of one channel on the bench's
 * database and queue, as `rapport worker` starts it (its own PostgreSQL pool of 10 and Redis connection,
 * concurrency min(WORKER_CONCURRENCY 20, pool 10), then min(that, the channel's limit) inside the worker).
 *
 * `tsx bench/limits-worker.ts '<json of WorkerSpec>'`, forked with an IPC channel: it sends `{ ready: true }`
 * once its worker is connected, starts counting CPU on `"go"`, and on `"stop"` closes the worker and sends
 * `{ cpuMs }` (the CPU it spent between the two) before it exits.
 */
import { Api } from "grammy";
import { createDiscordChannel } from "../bots/discord/index.ts";
import { createResendChannel } from "../bots/email/index.ts";
import type { Channel } from "../bots/index.ts";
import { createTelegramChannel } from "../bots/telegram/channel.ts";
import { createXChannel, createXClient } from "../bots/x/index.ts";
import { compileCampaign } from "../campaigns/index.ts";
import { type Clock, manualClock } from "../lib/clock.ts";
import { createDb } from "../lib/db/index.ts";
import { silentLogger } from "../lib/logger.ts";
import { createRedis } from "../lib/redis.ts";
import { createTemplateStore } from "../templates/index.ts";
import { startDeliverWorker } from "../workers/deliver.ts";
import { NOW } from "./campaigns.ts";
import { noopBatchChannel, noopChannel } from "./channels.ts";

/** What one worker process runs: which channel, against which provider, on which queue. */
export interface WorkerSpec {
  dbUrl: string;
  redisUrl: string;
  prefix: string;
  /** The campaign's YAML and file name (compiled here, as `rapport worker` loads campaigns/), its version id. */
  yaml: string;
  file: string;
  versionId: string;
  /**
   * A what-if: the limit the worker runs the channel at instead of its own (`--limit` of bench/limits.ts), e.g.
   * one send per 200 ms instead of five per second.
   */
  limit?: { max: number; durationMs: number };
  channel:
    | { kind: "telegram"; token: string; apiRoot: string }
    | { kind: "email"; apiKey: string; baseUrl: string }
    | { kind: "discord"; token: string; restUrl: string }
    | {
        kind: "x";
        apiRoot: string;
        credentials: { appKey: string; appSecret: string; accessToken: string; accessSecret: string };
        /** The bench's 15 minutes, in real ms: X's window compressed (see bench/limits.ts). */
        windowMs: number;
        /** The compressed clock: `epochMs + (now - epochMs) × scale`. */
        epochMs: number;
        scale: number;
      }
    | { kind: "noop-telegram" }
    | { kind: "noop-email" };
}

/** `rapport worker`'s deliver concurrency with the defaults: min(WORKER_CONCURRENCY 20, DATABASE_POOL 10). */
export const WORKER_DELIVER_CONCURRENCY = 10;

function channelOf(spec: WorkerSpec["channel"]): Channel {
  switch (spec.kind) {
    case "telegram":
      return createTelegramChannel(new Api(spec.token, { apiRoot: spec.apiRoot }));
    case "email":
      return createResendChannel({
        apiKey: spec.apiKey,
        baseUrl: spec.baseUrl,
        from: "Kopi <promo@bench.example>",
      });
    case "discord":
      return createDiscordChannel({ token: spec.token, restUrl: spec.restUrl });
    case "x": {
      const clock: Clock = { now: () => spec.epochMs + (Date.now() - spec.epochMs) * spec.scale };
      const channel = createXChannel(createXClient({ ...spec.credentials, apiRoot: spec.apiRoot }), {
        clock,
      });
      // X's 100 posts per 15 minutes, with the bench's compressed 15 minutes
      return { ...channel, limit: { max: channel.limit.max, durationMs: spec.windowMs } };
    }
    case "noop-telegram":
      return noopChannel("telegram");
    case "noop-email":
      return noopBatchChannel();
  }
}

const spec = JSON.parse(process.argv[2] ?? "null") as WorkerSpec | null;
if (!spec || !process.send) throw new Error("usage: forked by bench/limits.ts with a WorkerSpec as JSON");
const send = (message: unknown) => process.send?.(message);

const handle = await createDb({ url: spec.dbUrl, dataDir: "." });
const redis = createRedis(spec.redisUrl);
const campaign = compileCampaign(spec.yaml, spec.file);
const live = { campaign, versionId: spec.versionId, status: "active" as const };
const worker = startDeliverWorker(
  {
    db: handle.db,
    clock: manualClock(NOW.getTime()),
    log: silentLogger,
    campaign: (id) => (id === campaign.id ? live : undefined),
    templates: createTemplateStore(),
    publicUrl: "https://bench.example",
    unsubscribeSecret: "bench-unsubscribe-secret-0123456789abcdef",
    connection: redis,
    prefix: spec.prefix,
    concurrency: Math.min(WORKER_DELIVER_CONCURRENCY, handle.poolSize),
  },
  spec.limit ? { ...channelOf(spec.channel), limit: spec.limit } : channelOf(spec.channel),
);
let firstError: string | undefined;
worker.on("failed", (_job, error) => {
  firstError ??= error.message;
});
await worker.waitUntilReady();
let cpuAtGo = process.cpuUsage();
process.on("message", async (message) => {
  if (message === "go") cpuAtGo = process.cpuUsage();
  if (message !== "stop") return;
  const cpu = process.cpuUsage(cpuAtGo);
  await worker.close();
  await redis.quit().catch(() => {});
  await handle.close();
  process.send?.({ cpuMs: Math.round((cpu.user + cpu.system) / 1000), firstError }, () =>
    process.disconnect(),
  );
});
// the bench went away (Ctrl+C, a crash): nothing left to work for
process.on("disconnect", () => process.exit(0));
send({ ready: true });
