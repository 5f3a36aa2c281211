import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import type { Worker } from "bullmq";
import { Api } from "grammy";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTelegramChannel } from "../../bots/telegram/channel.ts";
import { systemClock } from "../../lib/clock.ts";
import { createDb, type DbHandle } from "../../lib/db/index.ts";
import { createTemplateStore } from "../../templates/index.ts";
import { startDeliverWorker } from "../../workers/deliver.ts";
import { type DeliverJob, enqueueDeliveries } from "../../workers/deliver-queue.ts";
import { closeQueues, QUEUE, type QueueContext, queueFor } from "../../workers/index.ts";
import { type FakeTelegram, startFakeTelegram } from "../fakes/index.ts";
import { withAdmin } from "../setup/test-database.ts";
import { useTestDatabase } from "../support/db.ts";
import { deletePrefix, randomPrefix, useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
/** How the worker's connections are told apart from the test's own in pg_stat_activity. */
const APP_NAME = "rapport-deliver-test";

let telegram: FakeTelegram;
let worker: Worker<DeliverJob> | undefined;
let workerDb: DbHandle | undefined;
let queues: QueueContext;
let proxy: { server: Server; apiRoot: string; onAccepted?: () => Promise<void> };

beforeAll(async () => {
  telegram = await startFakeTelegram();
  // between the channel and the fake: a barrier at the moment Telegram has accepted a message and
  // before the worker hears so
  proxy = { server: createServer(), apiRoot: "" };
  proxy.server.on("request", async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const answer = await fetch(`${telegram.apiRoot}${req.url}`, {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await answer.arrayBuffer());
    if (req.url?.endsWith("/sendMessage") && answer.ok) await proxy.onAccepted?.();
    res.writeHead(answer.status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
  proxy.apiRoot = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await worker?.close();
  worker = undefined;
  await workerDb?.close();
  workerDb = undefined;
  proxy.onAccepted = undefined;
  await closeQueues(queues);
  await deletePrefix(redis.redis, queues.prefix);
});
afterAll(async () => {
  await new Promise((resolve) => proxy.server.close(resolve));
  await telegram?.close();
});

/** Queued Telegram replies to `count` customers, one chat each (Telegram paces 1 message/s per chat). */
async function queuedReplies(count: number, tag: string) {
  const customers = await database.db.customer.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({ name: `${tag} ${i}` })),
  });
  const deliveries = await database.db.delivery.createManyAndReturn({
    data: customers.map((customer, i) => ({
      key: `r/${tag}/${customer.id}`,
      kind: "transactional" as const,
      customerId: customer.id,
      channel: "telegram" as const,
      status: "queued" as const,
      recipient: String((tag === "pool" ? 900_000 : 910_000) + i),
      data: { text: `Hello ${i}` },
    })),
  });
  return deliveries.map((d) => ({ ...d, channel: "telegram" as const }));
}

/** The deliver worker of a process whose pool has `poolSize` connections, its log lines captured. */
async function startWorker(options: { poolSize: number; concurrency: number }) {
  workerDb = await createDb({
    url: `${database.url}?application_name=${APP_NAME}`,
    dataDir: tmpdir(),
    poolSize: options.poolSize,
  });
  queues = { connection: redis.redis, prefix: randomPrefix() };
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const channel = createTelegramChannel(new Api(telegram.token, { apiRoot: proxy.apiRoot }));
  worker = startDeliverWorker(
    {
      db: workerDb.db,
      clock: systemClock,
      log,
      templates: createTemplateStore(),
      publicUrl: "https://crm.acme.example",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: () => undefined,
      connection: redis.redis,
      prefix: queues.prefix,
      concurrency: options.concurrency,
    },
    channel,
  );
  return { lines };
}

const sentTo = (chatIds: readonly string[]) =>
  telegram.calls.filter((c) => c.method === "sendMessage" && chatIds.includes(String(c.params.chat_id)));

/**
 * How long the database stalls. A recording transaction waits for a connection up to Prisma's maxWait
 * (2 s by default), and a failed recording is tried 4 times with 0.1, 0.5 and 2 s between: at the default,
 * a recording gives up after ~10.6 s of waiting and is put off (the warning this test forbids). The stall
 * outlasts that, so only a maxWait longer than the stall keeps the recordings waiting their turn.
 */
const STALL_S = 15;

describe("deliveries and the database pool", () => {
  it("sends 200 at concurrency 20 over a pool of 2, while the database stalls for 15 s: none fails, each sent once", async () => {
    const deliveries = await queuedReplies(200, "pool");
    const { lines } = await startWorker({ poolSize: 2, concurrency: 20 });
    // a stalled database: once Telegram has taken the first message, and before the worker hears so, both
    // of the worker's connections are taken by slow statements; every job, the recording of that first
    // message included, then queues for a connection until they end
    let stall: Promise<unknown> | undefined;
    const sleeping = async () => {
      const [{ n }] = await database.db.$queryRaw<[{ n: number }]>`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = ${APP_NAME} AND state = 'active' AND query LIKE '%pg_sleep%'`;
      return n;
    };
    proxy.onAccepted = async () => {
      if (stall) return;
      stall = Promise.all(
        [1, 2].map(() => workerDb!.db.$queryRawUnsafe(`SELECT pg_sleep(${STALL_S})::text AS slept`)),
      );
      await waitFor("both connections to be held", async () => (await sleeping()) === 2, 10_000);
    };
    await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, deliveries);
    await waitFor("the stall to start", () => stall !== undefined, 30_000);
    await stall;

    const done = await waitFor(
      "every delivery to be recorded",
      async () => {
        const rows = await database.db.delivery.findMany({
          where: { id: { in: deliveries.map((d) => d.id) } },
          select: { status: true, attempts: true, reason: true, error: true },
        });
        return rows.every((r) => r.status !== "queued") ? rows : undefined;
      },
      120_000,
    );
    expect(done).toHaveLength(200);
    expect(done.filter((r) => r.status !== "sent")).toEqual([]);
    expect(done.filter((r) => r.attempts !== 1)).toEqual([]);
    expect(sentTo(deliveries.map((d) => d.recipient!))).toHaveLength(200);
    // waiting for a connection was neither a failed attempt nor a put-off recording
    expect(lines.map((l) => l.msg)).toEqual([]);
    const counts = await queueFor(queues, QUEUE.deliver("telegram")).getJobCounts("failed", "completed");
    expect(counts).toEqual({ failed: 0, completed: 200 });
  }, 180_000);
});

describe("a database hiccup after the provider accepted", () => {
  it("records the send when the database is back: sent exactly once, the Delivery sent, never failed", async () => {
    const [delivery] = await queuedReplies(1, "hiccup");
    await startWorker({ poolSize: 2, concurrency: 5 });
    const dbName = new URL(database.url).pathname.slice(1);
    let cut = false;
    proxy.onAccepted = async () => {
      if (cut) return;
      cut = true;
      // Telegram has the message; the worker's connections drop and no new one is let in
      await withAdmin(async (admin) => {
        await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
        await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2",
          [dbName, APP_NAME],
        );
      });
    };
    await enqueueDeliveries({ db: database.db, queues, clock: systemClock }, [delivery!]);

    // the worker gave up its quick retries and kept Telegram's answer in the job: only then the database returns
    const job = await waitFor(
      "the answer kept in the job",
      async () => {
        const found = await queueFor<DeliverJob>(queues, QUEUE.deliver("telegram")).getJob(delivery!.key);
        return found?.data.recording ? found : undefined;
      },
      30_000,
    );
    await withAdmin((admin) => admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`));

    const row = await waitFor(
      "the delivery recorded as sent",
      () => database.db.delivery.findFirst({ where: { id: delivery!.id, status: "sent" } }),
      60_000,
    );
    const sent = sentTo([delivery!.recipient!]);
    expect(sent).toHaveLength(1);
    expect(job.data.recording).toEqual([
      expect.objectContaining({ deliveryId: delivery!.id, text: "Hello 0" }),
    ]);
    expect(row).toMatchObject({ status: "sent", attempts: 1, failedAt: null, error: null });
    expect(row.providerId).toBe((job.data.recording![0] as { providerId: string }).providerId);
    expect(await database.db.interaction.count({ where: { deliveryId: delivery!.id } })).toBe(1);
  }, 120_000);
});
