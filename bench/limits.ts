/**
 * `npx tsx bench/limits.ts`: the deliver worker at the providers' limits (issue 17, "Provider limits" and
 * "Scale out"). Each line queues N messages of a campaign with a real fan-out, then drains them with 1 to 3
 * `rapport worker`-like child processes (bench/limits-worker.ts: the real deliver worker and the real channel)
 * against loopback fakes that enforce the provider's documented limits and answer 429 past them, in the
 * provider's wire format. It reports the 429s received, the time against the limit-bound minimum, messages/s,
 * and the CPU of each worker process. See bench/README.md, "Provider limits" and "Scale out".
 */
import { type ChildProcess, fork } from "node:child_process";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { manualClock } from "../lib/clock.ts";
import { Prisma } from "../lib/db/index.ts";
import { silentLogger } from "../lib/logger.ts";
import { type FakeDiscord, startFakeDiscord } from "../test/fakes/discord.ts";
import { type FakeResend, startFakeResend } from "../test/fakes/resend.ts";
import { type FakeTelegram, startFakeTelegram } from "../test/fakes/telegram.ts";
import { FAKE_X_CREDENTIALS, type FakeX, startFakeX } from "../test/fakes/x.ts";
import { fanOut, QUEUE, queueFor } from "../workers/index.ts";
import { DUE_NOW, deliverYaml, fanOutTarget, NOW, type ShippedCampaign, ship } from "./campaigns.ts";
import { type DiscordGlobalLimit, startDiscordGlobalLimit } from "./fakes/discord-global.ts";
import type { WorkerSpec } from "./limits-worker.ts";
import { createScratch, REDIS_URL, type Scratch } from "./scratch.ts";
import { INVALID_ZONE, seedCustomers } from "./seed.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** X's window: 15 minutes. */
const X_WINDOW_MS = 15 * 60_000;

/** The lines, in the order they run. */
export const LINES = ["telegram", "email", "discord", "x", "scale"] as const;
export type LineName = (typeof LINES)[number];

/** What one run of bench/limits.ts does. */
export interface LimitsOptions {
  /** Messages per provider line (10 000 by default). */
  messages: number;
  /** Messages per scale-out line (default: `messages`). */
  scaleMessages: number;
  /** Which lines run (default: all). */
  lines: LineName[];
  /** Worker processes of the email line, each run (default 1 and 3). */
  emailProcesses: number[];
  /** Worker processes of the scale-out lines (default 1, 2 and 3). */
  scaleProcesses: number[];
  /**
   * X's 15-minute window compressed to this many real ms (default 1 000): the fake's clock and the channel's
   * window run that much faster, so 10 000 posts take 100 windows, not 25 hours.
   */
  xWindowMs: number;
  /**
   * A what-if: every worker runs its channel at this limit instead of the channel's own (`--limit 1/200`: one
   * send per 200 ms), to see what another limiter shape would give. Unset: the channels' defaults.
   */
  limit: { max: number; durationMs: number } | undefined;
  /** Where the JSON goes (default bench/results/limits-<timestamp>.json); "-" for none. */
  out: string | undefined;
}

export const LIMITS_USAGE = `Usage: npx tsx bench/limits.ts [options]

  --messages N          messages per provider line (default 10000)
  --scale-messages N    messages per scale-out line (default: --messages)
  --lines a,b           lines to run, of ${LINES.join(", ")} (default all)
  --email-processes L   worker processes of the email runs (default 1,3)
  --scale-processes L   worker processes of the scale-out runs (default 1,2,3)
  --x-window-ms MS      X's 15-minute window compressed to MS real ms (default 1000)
  --limit MAX/MS        what-if: run every channel at MAX sends per MS ms instead of its own limit
  --out FILE            write the JSON here (default bench/results/limits-<timestamp>.json; - for none)
  --help                this text`;

function whole(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag} expects a whole number ≥ ${min}, got "${value}"`);
  return n;
}

function list(value: string | undefined, flag: string): number[] | undefined {
  return value?.split(",").map((part) => whole(part.trim(), flag, 1)!);
}

/** Reads the command line. Throws with a message naming the flag when a value is wrong. */
export function parseLimitsOptions(argv: string[]): LimitsOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      messages: { type: "string" },
      "scale-messages": { type: "string" },
      lines: { type: "string" },
      "email-processes": { type: "string" },
      "scale-processes": { type: "string" },
      "x-window-ms": { type: "string" },
      limit: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const messages = whole(values.messages, "--messages", 1) ?? 10_000;
  const lines = values.lines?.split(",").map((l) => l.trim()) ?? [...LINES];
  for (const line of lines)
    if (!(LINES as readonly string[]).includes(line))
      throw new Error(`--lines: unknown line "${line}" (one of ${LINES.join(", ")})`);
  const [max, durationMs] = values.limit?.split("/") ?? [];
  return {
    limit:
      values.limit === undefined
        ? undefined
        : { max: whole(max, "--limit MAX", 1)!, durationMs: whole(durationMs, "--limit MS", 1)! },
    messages,
    scaleMessages: whole(values["scale-messages"], "--scale-messages", 1) ?? messages,
    lines: lines as LineName[],
    emailProcesses: list(values["email-processes"], "--email-processes") ?? [1, 3],
    scaleProcesses: list(values["scale-processes"], "--scale-processes") ?? [1, 2, 3],
    xWindowMs: whole(values["x-window-ms"], "--x-window-ms", 10) ?? 1_000,
    out: values.out,
  };
}

/** The fakes of one run, each enforcing its provider's limits. */
export interface LimitFakes {
  telegram: FakeTelegram;
  resend: FakeResend;
  discord: FakeDiscord;
  /** Discord's global 50 requests/s, in front of `discord`. */
  discordGlobal: DiscordGlobalLimit;
  x: FakeX;
  /** X's compressed clock: `epochMs + (now − epochMs) × xScale`. */
  xEpochMs: number;
  xScale: number;
  close(): Promise<void>;
}

/**
 * Starts the fakes with their limits on: Telegram 30 messages/s per bot, 1/s per private chat, 20/min per group
 * (test/fakes/telegram-limits.ts); Resend 5 requests/s per key over a sliding second and 100 emails per batch;
 * Discord 50 requests/s global (bench/fakes/discord-global.ts) and its per-route buckets (5 messages per 5 s per
 * channel); X 100 posts and 200 DMs per user per 15 minutes, on a clock running `15 min / xWindowMs` times
 * faster than the wall clock.
 */
export async function startLimitFakes(options: { xWindowMs: number }): Promise<LimitFakes> {
  const xEpochMs = Date.now();
  const xScale = X_WINDOW_MS / options.xWindowMs;
  const telegram = await startFakeTelegram({ enforceLimits: true });
  const resend = await startFakeResend({ rateLimit: 5 });
  const discord = await startFakeDiscord({ enforceLimits: true });
  const discordGlobal = await startDiscordGlobalLimit(discord.restUrl);
  const x = await startFakeX({ now: () => xEpochMs + (Date.now() - xEpochMs) * xScale });
  return {
    telegram,
    resend,
    discord,
    discordGlobal,
    x,
    xEpochMs,
    xScale,
    async close() {
      await Promise.allSettled([
        telegram.close(),
        resend.close(),
        discordGlobal.close(),
        discord.close(),
        x.close(),
      ]);
    },
  };
}

/** The provider calls a line made: sends accepted and 429s answered. */
interface ProviderCounts {
  requests: number;
  limited: number;
  /** When each request arrived at the fake, in ms (X: none, its clock is compressed). */
  arrivals: number[];
}

/** The most of `times` (ms, in order) that fall in any one second: what a sliding-window limit sees. */
export function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while ((times[from] ?? 0) <= (times[to] ?? 0) - 1_000) from++;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

/** What the fakes answered so far, per provider, to be read before and after a run. */
function providerCounts(fakes: LimitFakes, channel: WorkerSpec["channel"]["kind"]): ProviderCounts {
  const count = (calls: Array<{ status: number; at?: number }>) => ({
    requests: calls.length,
    limited: calls.filter((c) => c.status === 429).length,
    arrivals: calls.flatMap((c) => (c.at === undefined ? [] : [c.at])),
  });
  switch (channel) {
    case "telegram":
      return count(fakes.telegram.calls.filter((c) => c.method === "sendMessage"));
    case "email":
      return count(
        fakes.resend.requests
          .filter((r) => r.path.startsWith("/emails"))
          .map((r) => ({ status: r.status, at: r.receivedAt })),
      );
    case "discord": {
      const routed = count(fakes.discord.calls.map((c) => ({ status: c.status })));
      const global = fakes.discordGlobal.limited();
      return {
        requests: routed.requests + global,
        limited: routed.limited + global,
        arrivals: [...fakes.discordGlobal.arrivals],
      };
    }
    case "x":
      return count(fakes.x.calls.filter((c) => c.method === "POST").map((c) => ({ status: c.status })));
    default:
      return { requests: 0, limited: 0, arrivals: [] };
  }
}

/** One line: N messages drained by P worker processes. */
export interface LineRun {
  line: string;
  processes: number;
  messages: number;
  jobs: number;
  /** From the queue's resume to the last Delivery recorded. */
  ms: number;
  /** The least time the provider's limit allows for these messages (null: no limit, a no-op channel). */
  minimumMs: number | null;
  perSecond: number;
  requests: number;
  limited: number;
  /** The most requests that reached the provider in any one second of the run (null: not known, X). */
  peakPerSecond: number | null;
  /** CPU of each worker process over the run, in ms. */
  cpuMs: number[];
  outcomes: Record<string, number>;
}

/** Who can be reached and rendered on each channel, over `c`. */
const RENDERABLE = `c.timezone IS DISTINCT FROM '${INVALID_ZONE}'`;
const REACHABLE: Record<"telegram" | "email" | "discord" | "x", string> = {
  telegram: `EXISTS (SELECT 1 FROM "Identity" i WHERE i."customerId" = c.id AND i.channel = 'telegram') AND c.consent->'telegram'->>'status' = 'granted' AND ${RENDERABLE}`,
  email: `c.email IS NOT NULL AND c.consent->'email'->>'status' = 'granted' AND ${RENDERABLE}`,
  discord: `EXISTS (SELECT 1 FROM "Identity" i WHERE i."customerId" = c.id AND i.channel = 'discord') AND c.consent->'discord'->>'status' = 'granted' AND ${RENDERABLE}`,
  x: `EXISTS (SELECT 1 FROM "Identity" i WHERE i."customerId" = c.id AND i.channel = 'x') AND c.consent->'x'->>'status' = 'granted' AND ${RENDERABLE}`,
};

/** The deliver campaign of bench/campaigns.ts, on any of the four channels. */
const yamlFor = (channel: keyof typeof REACHABLE) =>
  deliverYaml("telegram")
    .replaceAll("bench-deliver-telegram", `bench-limits-${channel}`)
    .replace("channels: [telegram]", `channels: [${channel}]`);

/**
 * Gives every seeded customer a Discord user and an X user (snowflake-shaped ids), with consent granted on
 * both: the seed has Telegram and email only.
 */
async function addDiscordAndX(scratch: Scratch): Promise<void> {
  await scratch.sql.query(`
    INSERT INTO "Identity" (channel, "customerId", "externalId")
    SELECT ch::"Channel", c.id, ((CASE ch WHEN 'discord' THEN 300000000000000000 ELSE 1600000000000000000 END)
      + row_number() OVER (PARTITION BY ch ORDER BY c.id))::text
    FROM "Customer" c CROSS JOIN (VALUES ('discord'), ('x')) AS v(ch)`);
  await scratch.sql.query(`
    UPDATE "Customer" SET consent = consent || jsonb_build_object(
      'discord', '{"status":"granted","at":"2026-09-01T00:00:00.000Z","via":"bench"}'::jsonb,
      'x', '{"status":"granted","at":"2026-09-01T00:00:00.000Z","via":"bench"}'::jsonb)
    WHERE NOT (consent ? 'email' AND consent->'email'->>'status' = 'denied')`);
  await scratch.sql.query('VACUUM ANALYZE "Identity", "Customer"');
}

let occurrences = 0;

const FINAL_STATUSES = `('sent', 'failed', 'suppressed', 'skipped')`;

async function spawnWorkers(spec: WorkerSpec, processes: number): Promise<ChildProcess[]> {
  const children = Array.from({ length: processes }, () =>
    fork(path.join(HERE, "limits-worker.ts"), [JSON.stringify(spec)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once("message", () => resolve());
          child.once("exit", (code) =>
            reject(new Error(`a worker process exited with ${code} before it was ready`)),
          );
        }),
    ),
  );
  return children;
}

async function stopWorkers(children: ChildProcess[]): Promise<Array<{ cpuMs: number; firstError?: string }>> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<{ cpuMs: number; firstError?: string }>((resolve, reject) => {
          child.once("message", (message) => resolve(message as { cpuMs: number; firstError?: string }));
          child.once("exit", (code) =>
            reject(new Error(`a worker process exited with ${code} while stopping`)),
          );
          child.send("stop");
        }),
    ),
  );
}

/** Queues `messages` deliveries of `shipped` on its channel (the queue paused), as a fan-out does. */
async function queueMessages(
  scratch: Scratch,
  shipped: ShippedCampaign,
  channel: keyof typeof REACHABLE,
  messages: number,
): Promise<{ deliveries: number; jobs: number }> {
  await scratch.resetRuns();
  const queue = queueFor(scratch.queues, QUEUE.deliver(channel));
  await queue.pause();
  const { rows } = await scratch.sql.query<{ id: string }>(
    `SELECT c.id FROM "Customer" c WHERE ${REACHABLE[channel]} ORDER BY c.id OFFSET $1 LIMIT 1`,
    [messages - 1],
  );
  if (!rows[0]) throw new Error(`fewer than ${messages} customers reachable on ${channel}: seed more`);
  const planned = await fanOut(
    { db: scratch.db, queues: scratch.queues, clock: manualClock(NOW.getTime()), log: silentLogger },
    {
      ...fanOutTarget(shipped, {
        extra: Prisma.sql`${Prisma.raw(REACHABLE[channel])} AND c.id <= ${rows[0].id}::uuid`,
        due: DUE_NOW,
      }),
      // a new occurrence each run: new delivery keys, so a provider's idempotency cache (Resend keeps keys
      // 24 hours, Discord's nonces) never answers a run with the previous run's messages
      occurrence: Prisma.sql`${`bench-run-${++occurrences}`}`,
    },
  );
  // a paused queue keeps its jobs in its wait list
  const counts = await queue.getJobCounts("waiting", "delayed");
  if (counts.delayed)
    throw new Error(`${counts.delayed} ${channel} jobs are delayed: the bench expects none`);
  await scratch.sql.query('VACUUM ANALYZE "Delivery"');
  return { deliveries: planned.queued, jobs: counts.waiting ?? 0 };
}

/** Drains what {@link queueMessages} queued with `processes` worker processes, timed from the queue's resume. */
async function drainWith(
  scratch: Scratch,
  fakes: LimitFakes,
  shipped: ShippedCampaign,
  channel: WorkerSpec["channel"],
  queued: { deliveries: number; jobs: number },
  processes: number,
  timeoutMs: number,
  limit: LimitsOptions["limit"],
): Promise<Omit<LineRun, "line" | "minimumMs">> {
  const name = shipped.campaign.channels[0] as keyof typeof REACHABLE;
  const spec: WorkerSpec = {
    dbUrl: scratch.url,
    redisUrl: REDIS_URL,
    prefix: scratch.queues.prefix,
    yaml: yamlFor(name),
    file: `bench-limits-${name}.yaml`,
    versionId: shipped.versionId,
    ...(limit && { limit }),
    channel,
  };
  const children = await spawnWorkers(spec, processes);
  const before = providerCounts(fakes, channel.kind);
  const started = performance.now();
  await queueFor(scratch.queues, QUEUE.deliver(name)).resume();
  for (const child of children) child.send("go");
  let done = 0;
  while (done < queued.deliveries) {
    if (performance.now() - started > timeoutMs) {
      const stopped = await stopWorkers(children).catch(() => []);
      const seen = providerCounts(fakes, channel.kind);
      throw new Error(
        `${name}: ${done} of ${queued.deliveries} deliveries done after ${timeoutMs} ms; ${seen.requests - before.requests} ` +
          `provider requests, ${seen.limited - before.limited} answered 429; first job failure: ${stopped.find((s) => s.firstError)?.firstError ?? "none"}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { rows } = await scratch.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Delivery" WHERE "campaignId" = $1 AND status IN ${FINAL_STATUSES}`,
      [shipped.campaign.id],
    );
    done = rows[0]?.n ?? 0;
  }
  const ms = performance.now() - started;
  const stopped = await stopWorkers(children);
  const after = providerCounts(fakes, channel.kind);
  const outcomes = await scratch.sql.query<{ outcome: string; n: number }>(
    `SELECT status::text || COALESCE(':' || reason, '') AS outcome, count(*)::int AS n FROM "Delivery"
     WHERE "campaignId" = $1 GROUP BY 1 ORDER BY 1`,
    [shipped.campaign.id],
  );
  const failure = stopped.find((s) => s.firstError)?.firstError;
  if (failure) console.log(`  (a job failed: ${failure})`);
  return {
    processes,
    messages: queued.deliveries,
    jobs: queued.jobs,
    ms: Math.round(ms),
    perSecond: Math.round((queued.deliveries / ms) * 1000 * 10) / 10,
    requests: after.requests - before.requests,
    limited: after.limited - before.limited,
    peakPerSecond:
      after.requests === before.requests || after.arrivals.length === 0
        ? null
        : peakPerSecond(after.arrivals.slice(before.arrivals.length)),
    cpuMs: stopped.map((s) => s.cpuMs),
    outcomes: Object.fromEntries(outcomes.rows.map((o) => [o.outcome, o.n])),
  };
}

function describe(run: LineRun): string {
  const over =
    run.minimumMs === null
      ? ""
      : `, minimum ${(run.minimumMs / 1000).toFixed(1)} s (${((run.ms / run.minimumMs - 1) * 100).toFixed(1)} % over)`;
  return (
    `${run.line}, ${run.processes} process${run.processes > 1 ? "es" : ""}: ${run.messages.toLocaleString("en")} ` +
    `messages in ${run.jobs.toLocaleString("en")} jobs, ${(run.ms / 1000).toFixed(1)} s${over}, ${run.perSecond}/s; ` +
    `${run.requests} provider requests (at most ${run.peakPerSecond ?? "?"} in one second), ${run.limited} answered 429; CPU per process ${run.cpuMs.map((c) => `${c} ms`).join(", ")} ` +
    `(${run.cpuMs.map((c) => (c / run.messages).toFixed(2)).join(", ")} ms/message); ${JSON.stringify(run.outcomes)}`
  );
}

/** Runs the lines `options` names on `scratch` (seeded here), printing each as it ends. */
export async function benchLimits(scratch: Scratch, options: LimitsOptions): Promise<LineRun[]> {
  const most = Math.max(options.messages, options.scaleMessages);
  // ~35 % of seeded customers have a Telegram chat; renderable ones a little fewer
  const seeded = await seedCustomers(scratch.sql, Math.max(200, Math.ceil(most / 0.3)));
  await addDiscordAndX(scratch);
  console.log(`seeded ${seeded.customers.toLocaleString("en")} customers (${seeded.telegram} with Telegram)`);
  const fakes = await startLimitFakes({ xWindowMs: options.xWindowMs });
  const shipped = new Map<string, ShippedCampaign>();
  const campaignOf = async (channel: keyof typeof REACHABLE) => {
    let found = shipped.get(channel);
    if (!found) {
      found = await ship(scratch.db, yamlFor(channel), `bench-limits-${channel}.yaml`);
      shipped.set(channel, found);
    }
    return found;
  };
  const runs: LineRun[] = [];
  const run = async (
    line: string,
    channelName: keyof typeof REACHABLE,
    channel: WorkerSpec["channel"],
    messages: number,
    processes: number,
    minimumMs: (deliveries: number) => number | null,
  ) => {
    const campaign = await campaignOf(channelName);
    const queued = await queueMessages(scratch, campaign, channelName, messages);
    const timeoutMs = Math.max(120_000, (minimumMs(queued.deliveries) ?? 0) * 3);
    const result = await drainWith(
      scratch,
      fakes,
      campaign,
      channel,
      queued,
      processes,
      timeoutMs,
      channel.kind.startsWith("noop") ? undefined : options.limit,
    );
    // the limit bounds what was sent: the few held at send time (opted out since) never reach the provider
    const bound = minimumMs(result.outcomes.sent ?? 0);
    const done: LineRun = {
      line: options.limit
        ? `${line}, what-if limit ${options.limit.max}/${options.limit.durationMs} ms`
        : line,
      minimumMs: bound === null ? null : Math.round(bound),
      ...result,
    };
    console.log(describe(done));
    runs.push(done);
  };
  try {
    for (const line of options.lines) {
      if (line === "telegram")
        await run(
          "telegram (30/s per bot, 1/s per chat)",
          "telegram",
          { kind: "telegram", token: fakes.telegram.token, apiRoot: fakes.telegram.apiRoot },
          options.messages,
          1,
          (n) => (n / 30) * 1000,
        );
      if (line === "email")
        for (const processes of options.emailProcesses)
          await run(
            "email (Resend: 5 requests/s × 100 emails)",
            "email",
            { kind: "email", apiKey: fakes.resend.apiKey, baseUrl: fakes.resend.baseUrl },
            options.messages,
            processes,
            (n) => (n / 500) * 1000,
          );
      if (line === "discord")
        await run(
          "discord (50 requests/s; a DM opened per new user)",
          "discord",
          { kind: "discord", token: fakes.discord.token, restUrl: fakes.discordGlobal.restUrl },
          options.messages,
          1,
          // every customer is new to the bot: a DM channel opened (one request) before each message
          (n) => ((2 * n) / 50) * 1000,
        );
      if (line === "x") {
        // X answers a DM to a user it does not know with 403: the fake learns the campaign's users first
        const { rows } = await scratch.sql.query<{ id: string }>(
          `SELECT i."externalId" AS id FROM "Customer" c JOIN "Identity" i ON i."customerId" = c.id AND i.channel = 'x'
           WHERE ${REACHABLE.x} ORDER BY c.id LIMIT $1`,
          [options.messages],
        );
        for (const { id } of rows)
          fakes.x.addDirectMessage({ userId: id, username: `bench${id}`, text: "hi" });
        await run(
          `x (DMs: 200 per user per 15 min, 15 min = ${options.xWindowMs} ms)`,
          "x",
          {
            kind: "x",
            apiRoot: fakes.x.apiRoot,
            credentials: FAKE_X_CREDENTIALS,
            windowMs: options.xWindowMs,
            epochMs: fakes.xEpochMs,
            scale: fakes.xScale,
          },
          options.messages,
          1,
          // a campaign on X is DMs ("dm:<id>"): 200 per user per 15 minutes; our channel keeps 100 (the posts' limit)
          (n) => (n / 200) * options.xWindowMs,
        );
      }
      if (line === "scale")
        for (const [name, kind] of [
          ["telegram", "noop-telegram"],
          ["email", "noop-email"],
        ] as const)
          for (const processes of options.scaleProcesses)
            await run(
              `scale-out ${name} (no-op channel)`,
              name,
              { kind },
              options.scaleMessages,
              processes,
              () => null,
            );
    }
  } finally {
    await fakes.close();
  }
  return runs;
}

async function main(options: LimitsOptions): Promise<void> {
  const started = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  let cleanup: (() => Promise<void>) | undefined;
  const stop = async (code: number) => {
    await cleanup?.().catch(() => {});
    process.exit(code);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop(130));
  const scratch = await createScratch((drop) => {
    cleanup = drop;
  });
  try {
    console.log(
      `bench/limits: ${options.messages} messages per provider line, ${options.scaleMessages} per scale-out line; load average ${loadAtStart.toFixed(1)}`,
    );
    const runs = await benchLimits(scratch, options);
    const loadAtEnd = loadavg()[0] ?? 0;
    console.log(`load average ${loadAtStart.toFixed(1)} at the start, ${loadAtEnd.toFixed(1)} at the end`);
    if (options.out !== "-") {
      const { mkdirSync, writeFileSync } = await import("node:fs");
      const file =
        options.out ??
        path.join(HERE, "results", `limits-${started.toISOString().replaceAll(":", "-")}.json`);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(
        file,
        `${JSON.stringify({ startedAt: started.toISOString(), load: { start: loadAtStart, end: loadAtEnd }, options, runs }, null, 2)}\n`,
      );
      console.log(`written to ${file}`);
    }
  } finally {
    await scratch.cleanup();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let options: LimitsOptions | "help";
  try {
    options = parseLimitsOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${LIMITS_USAGE}`);
    process.exit(2);
  }
  if (options === "help") {
    console.log(LIMITS_USAGE);
    process.exit(0);
  }
  main(options).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
