import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type App, type AppOptions, createApp } from "../../cli/app.ts";
import type { Clock } from "../../lib/clock.ts";
import { type Config, loadConfig } from "../../lib/config.ts";
import { createLogger, silentLogger } from "../../lib/logger.ts";
import { signBody } from "../../lib/signature.ts";

/** The webhook secret every test app uses. */
export const TEST_WEBHOOK_SECRET = "test-webhook-secret-0123456789";

/** Options of {@link startTestApp}. */
export interface TestAppOptions {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  /** More environment variables (RESEND_API_KEY, TELEGRAM_BOT_TOKEN, …). */
  env?: Record<string, string>;
  bots?: boolean;
  /** The app's clock (business hours, delays). Defaults to the system clock. */
  clock?: Clock;
  /** Run the queue workers. Defaults to true. */
  workers?: boolean;
  /** Called for every route the HTTP server registers. */
  onRoute?: AppOptions["onRoute"];
}

/** A whole Rapport (HTTP, workers, bots) on a test database, Redis prefix and temporary data dir. */
export interface TestApp extends App {
  readonly dataDir: string;
  /** POSTs a signed event to the app's `/api/events`. */
  postEvent(event: unknown): Promise<Response>;
}

/** Starts Rapport as `rapport start` would, on the test's own database, queue prefix and data dir. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "rapport-app-"));
  const config: Config = loadConfig({
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    RAPPORT_QUEUE_PREFIX: options.prefix,
    RAPPORT_DATA_DIR: dataDir,
    RAPPORT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    PORT: "0",
    LOG_LEVEL: "silent",
    ...options.env,
  });
  // TEST_LOG=debug npx vitest … shows the app's logs while debugging a test
  const log = process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG }) : silentLogger;
  const app = await createApp({
    config,
    log,
    migrate: false,
    bots: options.bots ?? false,
    workers: options.workers,
    clock: options.clock,
    onRoute: options.onRoute,
  });
  return {
    ...app,
    dataDir,
    async postEvent(event: unknown) {
      const body = JSON.stringify(event);
      return fetch(`${app.url}/api/events`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-rapport-signature": signBody(TEST_WEBHOOK_SECRET, body),
        },
        body,
      });
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
