import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../../lib/db/index.ts";
import { closeQueues, QUEUE, type QueueContext, queueFor } from "../../workers/index.ts";
import {
  allDeliveriesFinal,
  batchCalls,
  deliveriesOf,
  deliveryCounts,
  drained,
  failedJobs,
  fanOutChunks,
  keyOf,
  mismatches,
  pollUntil,
  seedCustomers,
  startCampaignApp,
  writeScheduledCampaign,
} from "../e2e/support/campaign-run.ts";
import { startWorkerProcess, type WorkerProcess } from "../e2e/support/worker-process.ts";
import { envFor, type FakeResend, type ResendRequest, startFakeResend } from "../fakes/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

/** Every worker process must sign unsubscribe links alike, or a batch retried elsewhere is another payload. */
const LINK_SECRET = "kill-worker-link-secret-0123456789";

const emailsIn = (calls: readonly ResendRequest[]) =>
  calls.reduce((n, r) => n + (Array.isArray(r.body) ? r.body.length : 0), 0);

describe("10 000 campaign emails while `rapport worker` processes are killed with SIGKILL", () => {
  const TOTAL = 10_000;
  const CAMPAIGN = "kill-9";
  const database = useTestDatabase();
  const redis = useTestRedis();
  const workers: WorkerProcess[] = [];
  const scratch: string[] = [];
  let resend: FakeResend;
  let queues: QueueContext;

  beforeAll(async () => {
    // Faster than the engine's 20 requests/s, so the engine's own limiter sets the pace; each call stays in
    // flight 150 ms, so a kill can land between the provider accepting a batch and the worker reading why.
    resend = await startFakeResend({ rateLimit: 50, latencyMs: 150 });
    queues = { connection: redis.redis, prefix: redis.prefix };
  });
  // registered after the database's and Redis's hooks, so it runs before them: nothing is left writing
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill9()));
    await closeQueues(queues);
    await resend?.close();
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(name: string, campaignsDir: string): WorkerProcess {
    const dataDir = mkdtempSync(path.join(tmpdir(), `rapport-${name}-`));
    scratch.push(dataDir);
    const worker = startWorkerProcess(
      name,
      {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        RAPPORT_QUEUE_PREFIX: redis.prefix,
        RAPPORT_CAMPAIGNS_DIR: campaignsDir,
        RAPPORT_CAMPAIGN_CLOCK: "1",
        WORKER_STALLED_INTERVAL: "2",
        // 4 batches at a time per process: a killed worker holds (hidden until its locks expire) only 4
        // batches, and the next one finds others waiting
        WORKER_CONCURRENCY: "4",
        ...envFor({ resend }),
        RESEND_REQUESTS_PER_SECOND: "20",
        RAPPORT_DATA_DIR: dataDir,
        RAPPORT_LINK_SECRET: LINK_SECRET,
        // debug: one "delivery processed" line per batch, to see which process sent it
        LOG_LEVEL: "debug",
        LOG_FORMAT: "json",
      },
      dataDir,
    );
    workers.push(worker);
    return worker;
  }

  it("plans and sends every email exactly once through two SIGKILLs: none twice, none lost", async () => {
    const started = Date.now();
    // printed as it happens, so a failure still shows how far the run got
    const note = (line: string) =>
      console.info(`kill-worker ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
    const counts = () => deliveryCounts(database.db, CAMPAIGN);

    await seedCustomers(database.db, TOTAL, "kill");
    const campaignsDir = writeScheduledCampaign(CAMPAIGN, new Date(Date.now() - 60_000));
    scratch.push(campaignsDir);
    note(`${TOTAL} customers seeded, campaign due a minute ago`);

    // 1. SIGKILL in the middle of the fan-out, late in it: the chunks written are queued and go out while the
    // rest waits for the fan-out job to be handed over (the less is left, the shorter the test).
    const first = startWorker("worker-1", campaignsDir);
    await pollUntil(
      "worker-1 to fan out 70% of the audience",
      async () => {
        first.assertAlive();
        const { rows } = await counts();
        if (rows >= TOTAL) throw new Error("the fan-out ended between two polls: nothing left to interrupt");
        return rows >= TOTAL * 0.7 ? true : undefined;
      },
      { everyMs: 20, timeoutMs: 60_000 },
    );
    await first.kill9();
    const killedAt1 = Date.now();
    // calls already at the provider finish there
    await waitFor(
      "Resend to answer worker-1's calls",
      () => resend.requests.every((r) => r.status !== 0),
      10_000,
    );
    const atKill1 = { ...(await counts()), emails: resend.emails.length };
    note(
      `SIGKILL worker-1 (up after ${first.readyAt! - started} ms): ${atKill1.rows} of ${TOTAL} Delivery rows ` +
        `written, ${atKill1.emails} emails at Resend`,
    );
    expect(atKill1.rows, "kill 1 lands mid fan-out").toBeGreaterThan(0);
    expect(atKill1.rows, "kill 1 lands mid fan-out").toBeLessThan(TOTAL);

    // 2. SIGKILL in the middle of sending: as soon as the second worker's third batch reaches Resend, which
    // stores it 150 ms later, after the worker is gone, once it has sent new emails: its first calls may all
    // be worker-1's unrecorded batches sent again under their idempotency keys, which add no email at Resend.
    const callsBefore = resend.requests.length;
    const second = startWorker("worker-2", campaignsDir);
    const secondCalls = () => batchCalls(resend).filter((r) => resend.requests.indexOf(r) >= callsBefore);
    await pollUntil(
      "worker-2 to send three batches",
      async () => {
        second.assertAlive();
        return secondCalls().length >= 3 && resend.emails.length > atKill1.emails ? true : undefined;
      },
      { everyMs: 20, timeoutMs: 60_000 },
    );
    const killedAt2 = Date.now();
    await second.kill9();
    // the provider finishes what it has in hand; what it answers from now on, no worker reads
    await waitFor(
      "Resend to answer worker-2's calls",
      () => secondCalls().every((r) => r.status !== 0),
      10_000,
    );
    const unanswered = secondCalls().filter((r) => r.answeredAt! >= killedAt2);
    // the kill lands while the third batch is at Resend (stored 150 ms after it arrives): at least that one
    expect(unanswered.length, "kill 2 lands while a batch is at Resend").toBeGreaterThan(0);
    const atKill2 = { ...(await counts()), emails: resend.emails.length };
    note(
      `SIGKILL worker-2 (up ${second.readyAt! - killedAt1} ms after kill 1): ${atKill2.emails} of ${TOTAL} ` +
        `emails at Resend, ${unanswered.length} calls (${emailsIn(unanswered)} emails) unanswered when it died`,
    );
    expect(atKill2.emails, "kill 2 lands mid send").toBeGreaterThan(atKill1.emails);
    expect(atKill2.emails, "kill 2 lands mid send").toBeLessThan(TOTAL);

    // 3. Two workers share what is left, the dead workers' jobs too once their locks expire: ~30 s after a
    // kill (BullMQ's default lockDuration, which WORKER_STALLED_INTERVAL does not shorten). Kill 2 lands before
    // worker-1's locks expire, so no job here loses a second worker: BullMQ (maxStalledCount 1) would fail
    // such a job for good, leaving its 100 Deliveries `queued` — an engine gap this test does not cover.
    const survivors = [startWorker("worker-3", campaignsDir), startWorker("worker-4", campaignsDir)];
    let last = atKill2;
    await pollUntil(
      "every Delivery to be final",
      async () => {
        for (const w of survivors) w.assertAlive();
        last = { ...(await counts()), emails: resend.emails.length };
        return last.rows === TOTAL && last.final === TOTAL ? true : undefined;
      },
      { everyMs: 250, timeoutMs: 150_000 },
    ).catch(async (error: Error) => {
      const jobs = await queueFor(queues, QUEUE.deliver("email")).getJobCounts();
      throw new Error(
        `${error.message}; last seen ${JSON.stringify(last)}; email queue ${JSON.stringify(jobs)}; ` +
          `failed jobs: ${(await failedJobs(queues)).slice(0, 3).join("; ")}`,
      );
    });
    const allFinalAt = Date.now();
    note(`every Delivery final ${allFinalAt - killedAt2} ms after kill 2`);
    await drained(queues, 40_000);

    // No job gave up: a failed batch job would leave its emails unsent for good.
    expect(await failedJobs(queues)).toEqual([]);
    const rows = await deliveriesOf(database.db, CAMPAIGN);
    expect(rows).toHaveLength(TOTAL);
    expect(rows.filter((r) => r.status !== "sent").map((r) => r.status)).toEqual([]);
    expect(resend.emails).toHaveLength(TOTAL);
    expect(new Set(resend.emails.flatMap((e) => e.to)).size).toBe(TOTAL);
    expect(mismatches(rows, resend.emails)).toEqual([]);
    // Each Delivery is in exactly one batch (its batchKey) of at most 100, and the batches add up to all.
    const batches = new Map<string, number>();
    for (const row of rows) batches.set(row.batchKey ?? "", (batches.get(row.batchKey ?? "") ?? 0) + 1);
    expect(batches.has("")).toBe(false);
    expect(Math.max(...batches.values())).toBeLessThanOrEqual(100);
    expect([...batches.values()].reduce((a, b) => a + b, 0)).toBe(TOTAL);
    // Batches worker-2 never heard back about were sent again under the same key, and the provider replayed them.
    const calls = batchCalls(resend);
    for (const lost of unanswered)
      expect(calls.filter((r) => keyOf(r) === keyOf(lost) && r.status === 200).length).toBeGreaterThan(1);
    // One message in each customer's history.
    const [history] = await database.db.$queryRaw<Array<{ n: number; deliveries: number }>>(Prisma.sql`
      SELECT count(*)::int AS n, count(DISTINCT i."deliveryId")::int AS deliveries
      FROM "Interaction" i JOIN "Delivery" d ON d.id = i."deliveryId" WHERE d."campaignId" = ${CAMPAIGN}`);
    expect(history).toEqual({ n: TOTAL, deliveries: TOTAL });
    // Both survivors sent: two processes shared the work.
    const sentBy = survivors.map(
      (w) =>
        w.logs.filter(
          (l) => l.msg === "delivery processed" && (l.outcome as { kind?: string }).kind === "sent",
        ).length,
    );
    expect(Math.min(...sentBy)).toBeGreaterThan(0);

    const chunks = await fanOutChunks(database.db, CAMPAIGN);
    const gaps = chunks.slice(1).map((c, i) => c.at.getTime() - chunks[i]!.at.getTime());
    const resumedAt = chunks.find((c) => c.at.getTime() > killedAt1)?.at.getTime();
    note(
      `fan-out: ${chunks.map((c) => c.rows).join(" + ")} rows, one INSERT each, ${gaps.join(", ")} ms apart ` +
        `(${Math.round((2_000 / Math.min(...gaps)) * 1_000)} rows/s at best); handed over ${resumedAt ? resumedAt - killedAt1 : "-"} ms after kill 1`,
    );
    const stored = resend.emails.map((e) => Date.parse(e.created_at)).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < stored.length; i++) {
      while (stored[i]! - stored[j]! >= 5_000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    note(
      `send: ${calls.length} batch calls for ${batches.size} batches (${calls.length - new Set(calls.map(keyOf)).size} ` +
        `replayed under their key); worker-3 sent ${sentBy[0]} batches, worker-4 ${sentBy[1]}; first to last email ` +
        `${stored.at(-1)! - stored[0]!} ms, busiest 5 s ${Math.round(busiest / 5)} emails/s`,
    );
  }, 240_000);
});

describe("a storm of 429s from Resend", () => {
  const TOTAL = 1_000;
  const RETRY_AFTER_S = 2;
  const database = useTestDatabase();
  const redis = useTestRedis();
  let resend: FakeResend | undefined;
  let running: Awaited<ReturnType<typeof startCampaignApp>> | undefined;
  afterAll(async () => {
    await running?.close();
    await resend?.close();
  });

  it("pauses the queue for Resend's retry-after, then sends every email once", async () => {
    // the fake's own limit sits above the engine's 5/s: every 429 here is one of the eight injected
    resend = await startFakeResend({ rateLimit: 10 });
    resend.failNext({ status: 429, retryAfter: RETRY_AFTER_S, times: 8 });
    const started = Date.now();
    running = await startCampaignApp({
      databaseUrl: database.url,
      db: database.db,
      redis,
      resend,
      campaignId: "storm",
      customers: TOTAL,
    });
    await allDeliveriesFinal(database.db, running.app.queues, "storm", TOTAL, 60_000);

    const rows = await deliveriesOf(database.db, "storm");
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    // a 429 is the provider's signal, not a failed attempt
    expect(rows.filter((r) => r.attempts !== 1)).toEqual([]);
    expect(resend.emails).toHaveLength(TOTAL);
    expect(mismatches(rows, resend.emails)).toEqual([]);

    const calls = batchCalls(resend);
    const limited = calls.filter((r) => r.status === 429);
    const accepted = calls.filter((r) => r.status === 200);
    expect(limited).toHaveLength(8);
    expect(accepted).toHaveLength(TOTAL / 100);
    expect(new Set(accepted.map(keyOf)).size).toBe(TOTAL / 100);
    // Each refused batch came back no sooner than Resend asked.
    const waits = limited.map((refused) => {
      const next = calls.find((r) => keyOf(r) === keyOf(refused) && r.receivedAt > refused.receivedAt);
      return next!.receivedAt - refused.answeredAt!;
    });
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1_000 - 50);
    // During the first pause only the jobs already under way reach Resend (5 run at a time: at most the
    // other 4), never a job started after the 429.
    const pause = limited[0]!.answeredAt!;
    const duringPause = calls.filter(
      (r) => r.receivedAt > pause && r.receivedAt < pause + RETRY_AFTER_S * 1_000 - 50,
    );
    console.info(
      `429 storm: ${TOTAL} emails in ${Date.now() - started} ms, ${calls.length} batch calls (${limited.length} × 429); ` +
        `refused batches came back ${Math.min(...waits)}–${Math.max(...waits)} ms later; calls during the first ` +
        `${RETRY_AFTER_S} s pause: ${duringPause.map((r) => `+${r.receivedAt - pause} ms`).join(", ") || "none"}`,
    );
    expect(duringPause.length).toBeLessThanOrEqual(4);
  }, 90_000);
});

describe("Resend accepted a batch but its answer was lost", () => {
  const TOTAL = 150;
  const database = useTestDatabase();
  const redis = useTestRedis();
  let resend: FakeResend | undefined;
  let running: Awaited<ReturnType<typeof startCampaignApp>> | undefined;
  afterAll(async () => {
    await running?.close();
    await resend?.close();
  });

  it("retries each batch under the same key and gets the same ids back, each email stored once", async () => {
    resend = await startFakeResend({ rateLimit: 10 });
    // both batches (100 + 50) are stored by the provider, then one connection drops and the other gets a 500
    resend.failNext({ dropConnection: true, acceptThenFail: true });
    resend.failNext({ status: 500, acceptThenFail: true });
    running = await startCampaignApp({
      databaseUrl: database.url,
      db: database.db,
      redis,
      resend,
      campaignId: "lost-answer",
      customers: TOTAL,
    });
    await allDeliveriesFinal(database.db, running.app.queues, "lost-answer", TOTAL, 30_000);

    const rows = await deliveriesOf(database.db, "lost-answer");
    expect(rows.filter((r) => r.status !== "sent")).toEqual([]);
    // the first calls stored the emails: the ids recorded are theirs, so the retries got the same ids back
    expect(resend.emails).toHaveLength(TOTAL);
    expect(mismatches(rows, resend.emails)).toEqual([]);
    expect(rows.filter((r) => r.attempts !== 2)).toEqual([]);
    const byKey = new Map<string, ResendRequest[]>();
    for (const call of batchCalls(resend)) byKey.set(keyOf(call), [...(byKey.get(keyOf(call)) ?? []), call]);
    expect(byKey.size).toBe(2);
    expect([...byKey.values()].map((calls) => calls.map((r) => r.status).sort())).toEqual(
      expect.arrayContaining([
        [-1, 200],
        [200, 500],
      ]),
    );
    // each retry is the very same request: same emails in the same order
    for (const [lost, retry] of byKey.values()) expect(retry!.body).toEqual(lost!.body);
  }, 60_000);
});
