import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { createRedis, type Redis } from "../../../lib/redis.ts";
import { UNKNOWN_OUTCOME } from "../../../workers/deliver.ts";
import { closeQueues, QUEUE, type QueueContext, queueFor } from "../../../workers/index.ts";
import { startWorkerProcess, type WorkerProcess } from "../../e2e/support/worker-process.ts";
import {
  envFor,
  type FakeResend,
  type FakeTelegram,
  startFakeResend,
  startFakeTelegram,
} from "../../fakes/index.ts";
import { type TestDatabase, useTestDatabase } from "../../support/db.ts";
import {
  type ChaosDelivery,
  chaosDeliveries,
  progress,
  seedMixedAudience,
  writeMixedCampaign,
} from "./chaos-campaign.ts";
import { type PgProxy, startPgProxy } from "./pg-proxy.ts";
import { type ChaosRedis, startChaosRedis } from "./redis-server.ts";
import { judge, type Verdict } from "./verdict.ts";

/** Where each scenario leaves its line of the table; the suite's teardown gathers them. */
export const CHAOS_RESULTS_DIR = path.resolve("test/artifacts/chaos");

/** Every worker process signs links alike, or a batch retried elsewhere would be another payload. */
const LINK_SECRET = "chaos-suite-link-secret-0123456789";

/**
 * CHAOS_PROFILE=<folder>: each worker runs under V8's sampling profiler (support/cpu-profile.mjs) and is
 * stopped gracefully at the end, leaving `<worker>-<pid>.cpuprofile` in that folder.
 */
const PROFILE_DIR = process.env.CHAOS_PROFILE ? path.resolve(process.env.CHAOS_PROFILE) : undefined;
const PROFILER = path.resolve("test/chaos/support/cpu-profile.mjs");

/** A scenario's line in the table. */
export interface ChaosRow extends Omit<Verdict, "problems"> {
  scenario: string;
  /** From the end of the fault (or its start, for a fault that stays on) until every Delivery was final, ms. */
  recoverMs: number;
  /** From the first worker's start until every Delivery was final, ms. */
  totalMs: number;
  /** Each worker's time from spawn to its "running" line, ms, in start order. */
  startupMs: Array<number | null>;
  /** Emails per second at the provider, from its first email to its last. */
  emailRate: number;
  /** CPU seconds used so far by the workers (all of them, from /proc) and by the test process (fakes, probes). */
  cpu: { workers: number; test: number };
  notes: string;
}

/** Everything a scenario drives: its database (reached through a cuttable proxy), Redis, fakes and workers. */
export interface ChaosRun {
  readonly campaignId: string;
  readonly database: TestDatabase;
  readonly redis: ChaosRedis;
  readonly proxy: PgProxy;
  readonly resend: FakeResend;
  readonly telegram: FakeTelegram;
  readonly workers: WorkerProcess[];
  /** Seeds the audience and writes the campaign, due a minute ago. */
  prepare(): Promise<void>;
  /** Starts a `rapport worker` on the campaign; `env` overrides the defaults. */
  startWorker(name: string, env?: Record<string, string>): WorkerProcess;
  /** SIGKILLs a worker on purpose: from now on its death is no failure. */
  kill9(worker: WorkerProcess): Promise<void>;
  /** Deliveries written, queued (not planned), final and sent, plus what the providers hold. */
  now(): Promise<{
    rows: number;
    queued: number;
    final: number;
    sent: number;
    emails: number;
    chats: number;
  }>;
  /** Polls every `everyMs` until `probe` says so, checking that every worker still runs. */
  until(
    what: string,
    probe: () => Promise<boolean> | boolean,
    timeoutMs: number,
    everyMs?: number,
  ): Promise<void>;
  /** Waits until every planned Delivery is final and the deliver queues hold nothing that could still send. */
  allFinal(timeoutMs: number): Promise<number>;
  /**
   * Jobs of the deliver and campaigns queues that ended failed, with why. A campaign clock tick that failed
   * (the database was gone) is left out: the next tick, a second later, does its work from the same cursor;
   * so is the job of a Telegram Delivery failed as unknown_outcome (the verdict counts those).
   */
  failedJobs(): Promise<string[]>;
  /** Campaign clock ticks that failed. */
  failedTicks(): Promise<number>;
  /** The verdict of the providers against the rows. */
  verdict(): Promise<Verdict>;
  /** The campaign's Deliveries, as the verdict reads them. */
  deliveries(): Promise<ChaosDelivery[]>;
  /** Writes the scenario's line of the table and prints it. */
  report(row: Omit<ChaosRow, keyof Verdict | "startupMs" | "emailRate" | "cpu"> & { verdict: Verdict }): void;
  /** A line on stderr with the seconds since `prepare`. */
  note(line: string): void;
  /** How long each worker took from its spawn to its "running" line, in ms (undefined: not yet). */
  startups(): Array<number | undefined>;
  /** Emails per second at the provider, from its first accepted email to its last. */
  emailRate(): number;
}

/**
 * Sets up one chaos scenario in the calling test file: its own database behind a TCP proxy, its own
 * `redis-server` (AOF, as Rapport's managed one), fake Resend (5 requests/s like a default account, enforced)
 * and fake Telegram (flood limits enforced), and a mixed campaign of `email` + `telegram` messages. Workers
 * are real `rapport worker` processes. Call it once at the top level of the file.
 */
export function useChaosRun(campaignId: string, audience: { email: number; telegram: number }): ChaosRun {
  const database = useTestDatabase();
  const workers: WorkerProcess[] = [];
  const spawnedAt = new Map<WorkerProcess, number>();
  const killed = new Set<WorkerProcess>();
  const scratch: string[] = [];
  let redis: ChaosRedis;
  let proxy: PgProxy;
  let resend: FakeResend;
  let telegram: FakeTelegram;
  let connection: Redis;
  let queues: QueueContext;
  let campaignsDir = "";
  let started = Date.now();
  let ticker: NodeJS.Timeout | undefined;
  let testCpu = process.cpuUsage();
  /** CPU seconds of the workers killed on purpose, read just before their death. */
  let killedCpu = 0;
  const prefix = "rapport-chaos";

  beforeAll(async () => {
    redis = await startChaosRedis();
    proxy = await startPgProxy(database.url);
    resend = await startFakeResend({ rateLimit: 10, latencyMs: 50 });
    telegram = await startFakeTelegram({ enforceLimits: true });
    connection = createRedis(redis.url);
    connection.on("error", () => {}); // the scenario may kill this Redis: ioredis reconnects by itself
    queues = { connection, prefix };
  }, 60_000);
  // registered after the database's hooks, so it runs before them: nothing is left writing
  afterAll(async () => {
    clearInterval(ticker);
    // a profiled worker writes its profile as it exits: stop it as Ctrl+C would (and kill it if it hangs)
    if (PROFILE_DIR)
      await Promise.all(
        workers.map((w) => Promise.race([w.stop(), new Promise((resolve) => setTimeout(resolve, 15_000))])),
      );
    await Promise.all(workers.map((w) => w.kill9()));
    // each worker's warnings and errors, for a run that went wrong (the table says where they are)
    const logs = path.join(CHAOS_RESULTS_DIR, "logs");
    mkdirSync(logs, { recursive: true });
    for (const w of workers)
      writeFileSync(
        path.join(logs, `${campaignId}-${w.name}.jsonl`),
        w.logs
          .filter((l) => Number(l.level ?? 40) >= 40)
          .map((l) => JSON.stringify(l))
          .join("\n"),
      );
    await closeQueues(queues).catch(() => {});
    connection?.disconnect();
    await Promise.all([resend?.close(), telegram?.close(), proxy?.close(), redis?.close()]);
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const cpuSoFar = () => {
    const test = process.cpuUsage(testCpu);
    return {
      workers: Math.round(workers.reduce((sum, w) => sum + (cpuSeconds(w.pid) ?? 0), 0) + killedCpu),
      test: Math.round((test.user + test.system) / 1e6),
    };
  };

  const run: ChaosRun = {
    campaignId,
    database,
    get redis() {
      return redis;
    },
    get proxy() {
      return proxy;
    },
    get resend() {
      return resend;
    },
    get telegram() {
      return telegram;
    },
    workers,
    async prepare() {
      started = Date.now();
      testCpu = process.cpuUsage();
      await seedMixedAudience(database.db, audience, campaignId);
      campaignsDir = writeMixedCampaign(campaignId, new Date(Date.now() - 60_000));
      scratch.push(campaignsDir);
      run.note(`${audience.email} email + ${audience.telegram} Telegram customers seeded, campaign due`);
      // the progress every 5 s, so a slow or stuck run shows where it stands
      ticker = setInterval(() => {
        run.now().then(
          (now) => run.note(`${JSON.stringify(now)} cpu ${JSON.stringify(cpuSoFar())}`),
          () => {},
        );
      }, 5_000);
    },
    startWorker(name, env = {}) {
      const dataDir = mkdtempSync(path.join(tmpdir(), `rapport-chaos-${name}-`));
      scratch.push(dataDir);
      const worker = startWorkerProcess(
        name,
        {
          DATABASE_URL: proxy.url,
          REDIS_URL: redis.url,
          RAPPORT_QUEUE_PREFIX: prefix,
          RAPPORT_CAMPAIGNS_DIR: campaignsDir,
          RAPPORT_CAMPAIGN_CLOCK: "1",
          WORKER_STALLED_INTERVAL: "2",
          WORKER_CONCURRENCY: "20",
          RESEND_REQUESTS_PER_SECOND: "5",
          ...envFor({ telegram, resend }),
          RAPPORT_DATA_DIR: dataDir,
          RAPPORT_LINK_SECRET: LINK_SECRET,
          LOG_LEVEL: "warn",
          LOG_FORMAT: "json",
          ...(PROFILE_DIR && {
            NODE_OPTIONS: `--import=${PROFILER}`,
            RAPPORT_CPU_PROFILE_DIR: PROFILE_DIR,
            RAPPORT_CPU_PROFILE_NAME: name,
          }),
          ...env,
        },
        dataDir,
      );
      if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
      workers.push(worker);
      spawnedAt.set(worker, Date.now());
      return worker;
    },
    async kill9(worker) {
      killedCpu += cpuSeconds(worker.pid) ?? 0;
      killed.add(worker);
      await worker.kill9();
    },
    async now() {
      const counts = await progress(database.db, campaignId);
      return { ...counts, emails: resend.emails.length, chats: telegram.sent.length };
    },
    async until(what, probe, timeoutMs, everyMs = 100) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const w of workers) if (!killed.has(w)) w.assertAlive();
        if (await probe()) return;
        if (Date.now() > deadline) {
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; now ${JSON.stringify(await run.now())}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    },
    async allFinal(timeoutMs) {
      const total = audience.email + audience.telegram;
      try {
        await run.until(
          "every Delivery to be final",
          async () => {
            const now = await progress(database.db, campaignId);
            return now.rows === total && now.final === total;
          },
          timeoutMs,
          250,
        );
      } catch (error) {
        // what is left, and where its job is: enough to tell a slow run from a lost job
        const open = await database.db.delivery.findMany({
          where: { campaignId, status: { notIn: ["sent", "failed", "skipped", "suppressed"] } },
          select: {
            id: true,
            key: true,
            channel: true,
            status: true,
            attempts: true,
            error: true,
            batchKey: true,
            sendStartedAt: true,
          },
          take: 10,
        });
        const jobs = [];
        for (const d of open) {
          const queue = queueFor(queues, QUEUE.deliver(d.channel));
          const job = (await queue.getJob(d.batchKey ?? d.key)) ?? (await queue.getJob(d.key));
          jobs.push({
            ...d,
            job: job
              ? {
                  state: await job.getState(),
                  attemptsMade: job.attemptsMade,
                  returnvalue: job.returnvalue,
                  failedReason: job.failedReason,
                }
              : null,
          });
        }
        const counts = {
          email: await queueFor(queues, QUEUE.deliver("email")).getJobCounts(),
          telegram: await queueFor(queues, QUEUE.deliver("telegram")).getJobCounts(),
        };
        run.note(`not final: ${JSON.stringify(jobs)}; queues ${JSON.stringify(counts)}`);
        throw error;
      }
      const finalAt = Date.now();
      await run.until(
        "the deliver queues to drain",
        async () => {
          for (const channel of ["email", "telegram"] as const) {
            const counts = await queueFor(queues, QUEUE.deliver(channel)).getJobCounts(
              "waiting",
              "active",
              "delayed",
              "prioritized",
            );
            if (Object.values(counts).some((n) => n > 0)) return false;
          }
          return true;
        },
        30_000,
        250,
      );
      return finalAt;
    },
    async failedJobs() {
      // a Telegram send whose outcome is unknown ends its job for good, by design: counted as unknown instead;
      // so does a second run of a job whose first run was still sending (its lock lapsed on a starved CPU),
      // which finds the send begun: the first run then records the message sent
      const unknown = new Set(
        (
          await database.db.delivery.findMany({
            where: {
              campaignId,
              OR: [
                { status: "failed", reason: UNKNOWN_OUTCOME },
                { status: "sent", channel: "telegram" },
              ],
            },
            select: { id: true },
          })
        ).map((d) => d.id),
      );
      const failed: string[] = [];
      for (const name of [QUEUE.deliver("email"), QUEUE.deliver("telegram"), QUEUE.campaigns])
        for (const job of await queueFor<{ deliveryId?: string }>(queues, name).getFailed()) {
          if (job.id?.startsWith("repeat:campaign-clock:")) continue;
          if (
            job.data.deliveryId &&
            unknown.has(job.data.deliveryId) &&
            /answer never came|no answer within|may have been sent/.test(job.failedReason ?? "")
          )
            continue;
          failed.push(`${name} ${job.id}: ${job.failedReason}`);
        }
      return failed;
    },
    async failedTicks() {
      const failed = await queueFor(queues, QUEUE.campaigns).getFailed();
      return failed.filter((job) => job.id?.startsWith("repeat:campaign-clock:")).length;
    },
    async verdict() {
      return judge(await chaosDeliveries(database.db, campaignId), resend.emails, telegram.sent);
    },
    deliveries() {
      return chaosDeliveries(database.db, campaignId);
    },
    report({ verdict, ...rest }) {
      const { problems: _problems, ...counts } = verdict;
      const row: ChaosRow = {
        ...counts,
        ...rest,
        startupMs: run.startups().map((ms) => ms ?? null),
        emailRate: run.emailRate(),
        cpu: cpuSoFar(),
      };
      mkdirSync(CHAOS_RESULTS_DIR, { recursive: true });
      writeFileSync(
        path.join(CHAOS_RESULTS_DIR, `${row.scenario.replace(/\W+/g, "-")}.json`),
        JSON.stringify(row),
      );
      run.note(`result ${JSON.stringify(row)}`);
    },
    startups() {
      return workers.map((w) => (w.readyAt === undefined ? undefined : w.readyAt - spawnedAt.get(w)!));
    },
    emailRate() {
      if (resend.emails.length < 2) return 0;
      let first = Number.POSITIVE_INFINITY;
      let last = 0;
      for (const email of resend.emails) {
        const at = Date.parse(email.created_at);
        first = Math.min(first, at);
        last = Math.max(last, at);
      }
      const seconds = (last - first) / 1000;
      return seconds > 0 ? Math.round(resend.emails.length / seconds) : 0;
    },
    note(line) {
      process.stderr.write(
        `chaos ${campaignId} ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}\n`,
      );
    },
  };
  return run;
}

/** CPU seconds (user + system) a running process has used, from /proc (Linux); undefined elsewhere or once gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    // the fields after the command's closing parenthesis: utime and stime are the 12th and 13th
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
