import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  closeQueues,
  enqueueImport,
  importJobId,
  QUEUE_IMPORT,
  type QueueContext,
  queueFor,
} from "../../workers/index.ts";
import { startWorkerProcess, type WorkerProcess } from "../e2e/support/worker-process.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const ROWS = 60_000;
/** Every 1 000th email is broken: 60 rejects. */
const REJECTED = ROWS / 1_000;

describe("a console import whose worker is killed mid-file", () => {
  const database = useTestDatabase();
  const redis = useTestRedis();
  const scratch = mkdtempSync(path.join(tmpdir(), "rapport-import-kill-"));
  const workers: WorkerProcess[] = [];
  let queues: QueueContext;
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill9()));
    if (queues) await closeQueues(queues);
    rmSync(scratch, { recursive: true, force: true });
  });

  const startWorker = (name: string) => {
    const dataDir = path.join(scratch, name);
    mkdirSync(dataDir);
    const worker = startWorkerProcess(
      name,
      {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        RAPPORT_QUEUE_PREFIX: redis.prefix,
        RAPPORT_DATA_DIR: dataDir,
        // a dead worker's job comes back after its lock lapses (10 s at the least)
        WORKER_STALLED_INTERVAL: "2",
        LOG_LEVEL: "warn",
        LOG_FORMAT: "json",
      },
      dataDir,
    );
    workers.push(worker);
    return worker;
  };

  it("is taken over by another worker after SIGKILL and completes: every row once, one audit row", async () => {
    queues = { connection: redis.redis, prefix: redis.prefix };
    const importId = randomUUID();
    const upload = path.join(scratch, importId, "upload");
    mkdirSync(path.dirname(upload));
    const lines = ["\uFEFFNr klienta;E-mail;Telefon"];
    for (let i = 1; i <= ROWS; i++)
      lines.push(
        `K-${i};${i % 1_000 === 0 ? `broken${i}` : `kill${i}@example.com`};+4860${String(i).padStart(7, "0")}`,
      );
    writeFileSync(upload, `${lines.join("\n")}\n`);
    await enqueueImport(queues, {
      importId,
      path: upload,
      name: "klienci.csv",
      size: 0,
      kind: "customers",
      map: [],
      dryRun: false,
      staffUserId: randomUUID(),
      actor: "marketer@example.com",
    });
    const job = async () => (await queueFor(queues, QUEUE_IMPORT).getJob(importJobId(importId)))!;

    // 1. the first worker loads a batch or more, then dies without a word
    const first = startWorker("first");
    await waitFor(
      "a batch loaded",
      async () => {
        first.assertAlive();
        return (await database.db.customer.count()) > 0;
      },
      120_000,
    );
    await first.kill9();
    const loaded = await database.db.customer.count();
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(ROWS - REJECTED);
    expect(await (await job()).getState()).toBe("active");

    // 2. another takes the stalled job over and reads the file again: what was loaded stays as it is
    const second = startWorker("second");
    const state = await waitFor(
      "the import completed",
      async () => {
        second.assertAlive();
        const s = await (await job()).getState();
        return s === "completed" || s === "failed" ? s : undefined;
      },
      180_000,
    );
    expect(state).toBe("completed");
    const summary = (await job()).returnvalue as Record<string, number>;
    expect(summary).toMatchObject({ read: ROWS, rejected: REJECTED });
    expect(summary.inserted! + summary.unchanged! + summary.updated!).toBe(ROWS - REJECTED);
    expect(summary.unchanged).toBeGreaterThanOrEqual(loaded);
    expect(await database.db.customer.count()).toBe(ROWS - REJECTED);
    expect(
      await database.db.auditLog.count({ where: { targetId: importId, action: "import.customers" } }),
    ).toBe(1);
  }, 300_000);
});
