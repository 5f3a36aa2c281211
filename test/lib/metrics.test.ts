import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../lib/logger.ts";
import { registerOps } from "../../lib/metrics.ts";
import { createRedis } from "../../lib/redis.ts";
import { queueFor } from "../../workers/index.ts";
import { envFor, type FakeResend, startFakeResend } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const TOKEN = "metrics-token-0123456789abcdef";
let resend: FakeResend;
let app: TestApp;

beforeAll(async () => {
  resend = await startFakeResend();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    env: { ...envFor({ resend }) },
  });
}, 30_000);
afterAll(async () => {
  await app?.close();
  await resend?.close();
});

/** One sample of a metric from Prometheus text, by its labels; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf("}"));
    const have = inside.split(",");
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

/** The app's own /metrics, as Prometheus on this machine scrapes it. */
const scrapeApp = async () => {
  const response = await fetch(`${app.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

/** The same metrics of the same installation without the scrape cache, so a test sees a change at once. */
async function scrape(): Promise<string> {
  const http = Fastify();
  registerOps(http, {
    db: app.db,
    redis: app.redis,
    queues: () => ["deliver-email", "events"].map((name) => queueFor(app.queues, name)),
    log: silentLogger,
    cacheMs: 0,
  });
  try {
    return (await http.inject({ url: "/metrics" })).body;
  } finally {
    await http.close();
  }
}

describe("GET /readyz", () => {
  it("is ready when PostgreSQL and Redis answer", async () => {
    const response = await fetch(`${app.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true, postgres: "ok", redis: "ok" });
  });

  it("answers 503 naming Redis when Redis does not answer", async () => {
    const http = Fastify();
    const deadRedis = createRedis("redis://127.0.0.1:1");
    deadRedis.on("error", () => {});
    registerOps(http, { db: database.db, redis: deadRedis, queues: () => [], log: silentLogger });
    try {
      const response = await http.inject({ url: "/readyz" });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ ready: false, postgres: "ok" });
      expect(response.json().redis).not.toBe("ok");
    } finally {
      deadRedis.disconnect();
      await http.close();
    }
  });
});

describe("GET /metrics", () => {
  it("counts a provider's 429, the send, the Delivery and the queue, in Prometheus text", async () => {
    expect(await scrapeApp()).toContain('rapport_queue_jobs{queue="deliver-email",state="waiting"} 0');
    const before = sample(await scrape(), "rapport_provider_rate_limited_total", { channel: "email" }) ?? 0;
    const sentBefore =
      sample(await scrape(), "rapport_send_attempts_total", { channel: "email", outcome: "sent" }) ?? 0;
    resend.failNext({ status: 429, retryAfter: 1 });
    const response = await app.postEvent({
      type: "purchase",
      orderId: "M-1",
      customer: { email: "metrics@example.com" },
      total: "10.00",
      currency: "EUR",
      items: [{ sku: "MUG", quantity: 1, price: "10.00" }],
    });
    expect(response.status).toBe(201);
    await waitFor("the thank-you sent after the 429", () => resend.emails.length === 1 || undefined, 20_000);
    const text = await waitFor(
      "the sent Delivery and the finished job counted",
      async () => {
        const text = await scrape();
        // the Delivery is recorded sent before BullMQ finishes the job and the worker counts the attempt
        const delivered =
          (sample(text, "rapport_deliveries", { channel: "email", status: "sent", kind: "transactional" }) ??
            0) >= 1;
        const attempted =
          (sample(text, "rapport_send_attempts_total", { channel: "email", outcome: "sent" }) ?? 0) >
          sentBefore;
        return delivered && attempted ? text : undefined;
      },
      20_000,
    );
    expect(sample(text, "rapport_provider_rate_limited_total", { channel: "email" })).toBe(before + 1);
    expect(sample(text, "rapport_send_attempts_total", { channel: "email", outcome: "sent" })).toBe(
      sentBefore + 1,
    );
    expect(sample(text, "rapport_queue_jobs", { queue: "deliver-email", state: "waiting" })).toBe(0);
    expect(sample(text, "rapport_queue_jobs", { queue: "events", state: "failed" })).toBe(0);
    expect(text).toMatch(
      /rapport_http_request_duration_seconds_count\{[^}]*route="\/api\/events"[^}]*status="2xx"\} \d+/,
    );
    expect(text).toMatch(/rapport_send_duration_seconds_count\{channel="email"\} [1-9]/);
  });

  it("needs the token when METRICS_TOKEN is set, and a loopback client when it is not", async () => {
    const client = createRedis(redis.url);
    const http = Fastify();
    registerOps(http, { db: database.db, redis: client, queues: () => [], log: silentLogger, token: TOKEN });
    const open = Fastify();
    registerOps(open, { db: database.db, redis: client, queues: () => [], log: silentLogger });
    try {
      expect((await http.inject({ url: "/metrics" })).statusCode).toBe(401);
      expect(
        (await http.inject({ url: "/metrics", headers: { authorization: "Bearer wrong" } })).statusCode,
      ).toBe(401);
      const ok = await http.inject({
        url: "/metrics",
        headers: { authorization: `Bearer ${TOKEN}` },
        remoteAddress: "203.0.113.9",
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain("# TYPE rapport_deliveries gauge");
      // without a token: this machine only, by the socket's address (a forwarded header changes nothing)
      const far = await open.inject({
        url: "/metrics",
        remoteAddress: "203.0.113.9",
        headers: { "x-forwarded-for": "127.0.0.1" },
      });
      expect(far.statusCode).toBe(403);
      expect(far.json().message).toMatch(/METRICS_TOKEN/);
      expect((await open.inject({ url: "/metrics", remoteAddress: "127.0.0.1" })).statusCode).toBe(200);
    } finally {
      await Promise.all([http.close(), open.close()]);
      client.disconnect();
    }
  });
});
