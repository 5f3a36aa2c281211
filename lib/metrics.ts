import { createHash, timingSafeEqual } from "node:crypto";
import type { Queue } from "bullmq";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Db } from "./db/index.ts";
import type { Logger } from "./logger.ts";
import type { Redis } from "./redis.ts";

/**
 * Rapport's Prometheus metrics (prom-client). Two kinds:
 * - counted as things happen, in the process where they happen: provider 429s, send retries and outcomes,
 *   send time, inbound messages, HTTP durations. They live in {@link processMetrics}, one registry per
 *   process; a `rapport worker` process serves its own on METRICS_PORT.
 * - read when scraped, the same from any process: queue depths from Redis, deliveries by channel and status
 *   from PostgreSQL (cached for {@link SCRAPE_CACHE_MS}, so a scrape every few seconds costs one query).
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry, prefix: "rapport_process_" });

export const processMetrics = {
  providerRateLimited: new Counter({
    name: "rapport_provider_rate_limited_total",
    help: "Provider answers of 429 (rate limited): the channel's queue paused for the provider's Retry-After",
    labelNames: ["channel"] as const,
    registers: [processRegistry],
  }),
  sendOutcomes: new Counter({
    name: "rapport_send_attempts_total",
    help: "Deliver jobs finished, by channel and outcome: sent, failed (for good), retry (to be tried again), skipped",
    labelNames: ["channel", "outcome"] as const,
    registers: [processRegistry],
  }),
  sendSeconds: new Histogram({
    name: "rapport_send_duration_seconds",
    help: "How long a deliver job took, from the worker taking it to its outcome recorded (one message or one batch)",
    labelNames: ["channel"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [processRegistry],
  }),
  inboundMessages: new Counter({
    name: "rapport_inbound_messages_total",
    help: "Messages received from customers and stored, by channel",
    labelNames: ["channel"] as const,
    registers: [processRegistry],
  }),
  httpSeconds: new Histogram({
    name: "rapport_http_request_duration_seconds",
    help: "HTTP requests by method, route pattern and status class",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [processRegistry],
  }),
};

/** How long a scrape's database figures are reused, in ms. */
export const SCRAPE_CACHE_MS = 10_000;

/** Job states reported per queue. */
const JOB_STATES = ["waiting", "active", "delayed", "prioritized", "failed"] as const;

export interface OpsOptions {
  db: Db;
  redis: Redis;
  /** The installation's queues, read for their depth at each scrape. */
  queues: () => readonly Queue[];
  /** METRICS_TOKEN: when set, /metrics needs `Authorization: Bearer <token>`; unset, only loopback may scrape. */
  token?: string;
  log: Logger;
  now?: () => number;
  /** How long database figures are reused between scrapes, in ms. Defaults to {@link SCRAPE_CACHE_MS}. */
  cacheMs?: number;
}

/** A check of a dependency within `ms`: "ok", or why not. */
async function check(what: Promise<unknown>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([what, timeout]);
    return "ok";
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.slice(0, 200);
  } finally {
    clearTimeout(timer);
  }
}

/** Compares two secrets in constant time (their SHA-256 digests, so lengths leak nothing either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** True for a request from this machine, by the socket's own address (never a forwarded header). */
function fromLoopback(request: FastifyRequest): boolean {
  const address = request.raw.socket.remoteAddress ?? "";
  return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

/**
 * The scrape-time metrics of one installation: queue depths and deliveries, in a registry of their own
 * (several apps in one test process each have theirs).
 */
function installationRegistry(options: OpsOptions): Registry {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  let cached:
    | { at: number; rows: { channel: string; status: string; kind: string; n: bigint }[] }
    | undefined;
  const deliveryRows = async () => {
    if (!cached || now() - cached.at >= (options.cacheMs ?? SCRAPE_CACHE_MS)) {
      const rows = await options.db.$queryRaw<{ channel: string; status: string; kind: string; n: bigint }[]>`
        SELECT channel::text AS channel, status::text AS status, kind::text AS kind, count(*) AS n
        FROM "Delivery" GROUP BY 1, 2, 3`;
      cached = { at: now(), rows };
    }
    return cached.rows;
  };
  new Gauge({
    name: "rapport_queue_jobs",
    help: "Jobs in each queue by state, read from Redis at scrape time",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of options.queues()) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: "rapport_deliveries",
    help: `Delivery rows by channel, status and kind (marketing, transactional, reply), read from PostgreSQL at most every ${SCRAPE_CACHE_MS / 1000} s`,
    labelNames: ["channel", "status", "kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await deliveryRows()) {
        this.set({ channel: row.channel, status: row.status, kind: row.kind }, Number(row.n));
      }
    },
  });
  return registry;
}

/**
 * `GET /readyz` (PostgreSQL and Redis answer within 2 s: 200, else 503 naming which failed) and
 * `GET /metrics` (Prometheus text format), and the HTTP duration of every request.
 */
export function registerOps(http: FastifyInstance, options: OpsOptions): void {
  http.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "(no route)";
    processMetrics.httpSeconds.observe(
      { method: request.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` },
      reply.elapsedTime / 1_000,
    );
  });

  http.get("/readyz", async (_request, reply) => {
    const [postgres, redis] = await Promise.all([
      check(options.db.$queryRaw`SELECT 1`, 2_000),
      check(options.redis.ping(), 2_000),
    ]);
    const ready = postgres === "ok" && redis === "ok";
    return reply.status(ready ? 200 : 503).send({ ready, postgres, redis });
  });

  const installation = installationRegistry(options);
  const merged = Registry.merge([processRegistry, installation]);
  http.get("/metrics", async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.token !== undefined) {
      if (!sameSecret(request.headers.authorization ?? "", `Bearer ${options.token}`)) {
        return reply
          .status(401)
          .header("www-authenticate", 'Bearer realm="metrics"')
          .send({ error: "unauthorized", message: "metrics need Authorization: Bearer <METRICS_TOKEN>" });
      }
    } else if (!fromLoopback(request)) {
      return reply.status(403).send({
        error: "forbidden",
        message: "metrics answer only on this machine; set METRICS_TOKEN to scrape from elsewhere",
      });
    }
    try {
      const text = await merged.metrics();
      return reply.header("content-type", merged.contentType).send(text);
    } catch (error) {
      options.log.warn({ err: error }, "metrics scrape failed");
      return reply
        .status(503)
        .send({ error: "unavailable", message: "a metric could not be read: see the log" });
    }
  });
}

/** Only the process's own metrics, for a `rapport worker` (no HTTP otherwise) on METRICS_PORT. */
export function processMetricsText(): Promise<string> {
  return processRegistry.metrics();
}
