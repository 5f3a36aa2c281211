import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../../cli/app.ts";
import { DEMO_PURCHASES, postDemoPurchase, runDemo } from "../../cli/demo.ts";
import { type Config, loadConfig } from "../../lib/config.ts";
import { createDb } from "../../lib/db/index.ts";
import { silentLogger } from "../../lib/logger.ts";
import { installationId, QUEUE, queueFor, queuePrefixOf } from "../../workers/index.ts";
import { createTestDatabase, dropTestDatabase } from "../support/db.ts";
import { deletePrefix, useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const redis = useTestRedis();
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A configuration as `rapport start` in its own folder reads it: its own data dir, this Redis. */
function folderConfig(name: string, env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), `rapport-${name}-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return loadConfig({
    REDIS_URL: redis.url,
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_WEBHOOK_SECRET: `${name}-webhook-secret-0123456789`,
    PORT: "0",
    LOG_LEVEL: "silent",
    ...env,
  });
}

async function start(config: Config, options: { workers?: boolean; log?: pino.Logger } = {}): Promise<App> {
  const app = await createApp({
    config,
    log: options.log ?? silentLogger,
    bots: false,
    outboxOnly: true,
    workers: options.workers,
  });
  cleanups.push(async () => {
    await app.close();
    await deletePrefix(redis.redis, app.queues.prefix);
  });
  return app;
}

async function postPurchase(app: App, orderId: string, purchase: (typeof DEMO_PURCHASES)[number]) {
  const { response } = await postDemoPurchase(app.url!, app.webhookSecret, orderId, purchase);
  expect(response.status, await response.clone().text()).toBe(201);
}

const sentThankYous = (app: App) =>
  app.db.delivery.count({ where: { campaignId: "thank-you", status: "sent" } });

describe("two installations on one Redis", () => {
  it("each with its own embedded database delivers its own demo emails, and their queues are apart", async () => {
    // a `rapport start` left running in another folder, with its workers
    const first = await start(folderConfig("first"));
    // `npx rapport demo` in this folder: before installation ids, the first one's workers took its jobs
    const second = folderConfig("second");
    const files = await runDemo(second, silentLogger, 90_000);
    const secondDb = await createDb({ dataDir: second.dataDir });
    const secondId = await installationId(secondDb.db).finally(() => secondDb.close());
    cleanups.push(() => deletePrefix(redis.redis, queuePrefixOf(secondId)));

    expect(files).toHaveLength(DEMO_PURCHASES.length);
    expect(readdirSync(path.join(second.dataDir, "outbox", "email"))).toHaveLength(DEMO_PURCHASES.length);
    expect(secondId).not.toBe(first.installation);
    expect(first.queues.prefix).toBe(`rapport:${first.installation.replace(/-/g, "").slice(0, 8)}`);
    expect(queuePrefixOf(secondId)).not.toBe(first.queues.prefix);
    // the first installation saw none of it
    expect(await first.db.event.count()).toBe(0);
    expect(await first.db.delivery.count()).toBe(0);

    // and the first one delivers its own
    for (const [i, purchase] of DEMO_PURCHASES.entries()) await postPurchase(first, `FIRST-${i}`, purchase);
    await waitFor("the first installation's thank-yous", async () =>
      (await sentThankYous(first)) === DEMO_PURCHASES.length ? true : undefined,
    );
    expect(readdirSync(path.join(first.config.dataDir, "outbox", "email"))).toHaveLength(
      DEMO_PURCHASES.length,
    );
  }, 240_000); // two embedded databases migrated from scratch: 59 s measured alone, 111 s beside six other files

  it("refuses another installation's job under a shared RAPPORT_QUEUE_PREFIX, loudly, and leaves it for its owner", async () => {
    const [ownerUrl, otherUrl] = [await createTestDatabase(), await createTestDatabase()];
    cleanups.push(
      () => dropTestDatabase(ownerUrl),
      () => dropTestDatabase(otherUrl),
    );
    const shared = { RAPPORT_QUEUE_PREFIX: redis.prefix };
    const lines: Array<Record<string, unknown>> = [];
    const captured = pino({ level: "error" }, { write: (line: string) => void lines.push(JSON.parse(line)) });

    // the owner takes purchases but runs no workers yet; the other installation's workers share its queues
    const owner = await start(folderConfig("owner", { ...shared, DATABASE_URL: ownerUrl }), {
      workers: false,
    });
    const other = await start(folderConfig("other", { ...shared, DATABASE_URL: otherUrl }), {
      log: captured,
    });
    expect(owner.queues.prefix).toBe(other.queues.prefix);
    await postPurchase(owner, "OWNED-1", DEMO_PURCHASES[0]);

    const refusal = await waitFor("the other installation to refuse the owner's event job", () =>
      lines.find((l) => l.jobInstallation === owner.installation),
    );
    expect(refusal).toMatchObject({ installation: other.installation, queue: QUEUE.events });
    expect(String(refusal.msg)).toMatch(/RAPPORT_QUEUE_PREFIX/);
    // left alone: neither failed nor completed, put back for later
    const events = queueFor(owner.queues, QUEUE.events);
    const counts = await events.getJobCounts("failed", "completed", "delayed", "waiting", "active");
    expect(counts).toMatchObject({ failed: 0, completed: 0 });
    expect((counts.delayed ?? 0) + (counts.waiting ?? 0) + (counts.active ?? 0)).toBe(1);
    expect(await other.db.event.count()).toBe(0);

    // the other installation goes away; the owner's workers take their job and the email goes out
    await other.close();
    await start(owner.config, { log: silentLogger });
    await waitFor(
      "the owner's thank-you",
      async () => ((await sentThankYous(owner)) === 1 ? true : undefined),
      30_000,
    );
  }, 120_000);
});
