import type { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { silentLogger } from "../../lib/logger.ts";
import { emitPurchaseCreated, newWebhookSecret } from "../../workers/index.ts";
import { startWebhooksWorker } from "../../workers/webhooks.ts";
import { rapport } from "../cli/run.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { purchaseOf, receiver, verifyStandardWebhook } from "../support/webhook-receiver.ts";

const database = useTestDatabase();
const redis = useTestRedis();

describe("outbound webhooks", () => {
  let worker: Worker;
  const queues = () => ({ connection: redis.redis, prefix: redis.prefix });

  beforeAll(() => {
    worker = startWebhooksWorker({
      db: database.db,
      log: silentLogger,
      connection: redis.redis,
      prefix: redis.prefix,
      // the real schedule is 5 s, 5 min, 30 min…: the same shape, in tenths of a second
      retryMs: [300, 600, 1_200],
    });
  });
  afterAll(async () => {
    await worker?.close();
  });

  it("delivers purchase.created signed as Standard Webhooks says, retrying a flaky receiver with growing pauses", async () => {
    const flaky = await receiver([503, 500]);
    try {
      const secret = newWebhookSecret();
      const subscription = await database.db.webhookSubscription.create({
        data: {
          name: "warehouse",
          url: flaky.url,
          events: ["purchase.created"],
          fields: [],
          secret,
          createdBy: "test",
        },
      });
      const { eventId, customerId } = await purchaseOf(database.db, "ewa@example.com", "PL-100");
      expect(await emitPurchaseCreated(database.db, queues(), eventId)).toBe(1);
      // the same event again (a retried events job) makes no second message
      expect(await emitPurchaseCreated(database.db, queues(), eventId)).toBe(1);

      await waitFor("three tries", () => flaky.received.length >= 3 || undefined, 15_000);
      const message = await waitFor("the message delivered", () =>
        database.db.webhookMessage.findFirst({
          where: { subscriptionId: subscription.id, status: "delivered" },
        }),
      );
      expect(flaky.received).toHaveLength(3);
      // one message: the same webhook-id on every try
      expect(new Set(flaky.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
      expect(flaky.received[0]!.headers["webhook-id"]).toBe(message.msgId);
      // spaced by the schedule: at least 0.3 s, then at least 0.6 s (a busy machine only adds to them)
      const gaps = [
        flaky.received[1]!.at - flaky.received[0]!.at,
        flaky.received[2]!.at - flaky.received[1]!.at,
      ];
      expect(gaps[0]).toBeGreaterThanOrEqual(290);
      expect(gaps[1]).toBeGreaterThanOrEqual(590);
      for (const request of flaky.received) {
        expect(
          verifyStandardWebhook(secret, request.headers, request.body, Math.floor(Date.now() / 1000)),
        ).toBe(true);
        // a changed body, or another secret, does not verify
        expect(
          verifyStandardWebhook(secret, request.headers, `${request.body} `, Math.floor(Date.now() / 1000)),
        ).toBe(false);
        expect(
          verifyStandardWebhook(
            newWebhookSecret(),
            request.headers,
            request.body,
            Math.floor(Date.now() / 1000),
          ),
        ).toBe(false);
      }
      const body = JSON.parse(flaky.received[2]!.body);
      expect(body).toMatchObject({
        type: "purchase.created",
        timestamp: "2026-12-01T10:00:00.000Z",
        data: {
          id: eventId,
          orderId: "PL-100",
          total: "59.90",
          currency: "PLN",
          customer: { id: customerId, email: "ewa@example.com", name: "Ewa" },
          items: [{ sku: "BEANS", quantity: 1, unitPrice: "59.90" }],
        },
      });
      const attempts = await database.db.webhookAttempt.findMany({
        where: { messageId: message.id },
        orderBy: { at: "asc" },
      });
      expect(attempts.map((a) => a.status)).toEqual([503, 500, 200]);
      expect(attempts[0]!.excerpt).toBe("down for a bit");
      expect(message.attempts).toBe(3);
    } finally {
      await flaky.close();
    }
  });

  it("sends only the fields a subscription allows, and nothing about a customer who refused data sharing", async () => {
    const partner = await receiver([]);
    try {
      const secret = newWebhookSecret();
      await database.db.webhookSubscription.create({
        data: {
          name: "partner",
          url: partner.url,
          events: ["*"],
          fields: ["orderId", "total", "currency"],
          secret,
          createdBy: "test",
        },
      });
      const shared = await purchaseOf(database.db, "jan@example.com", "PL-200");
      const refused = await purchaseOf(database.db, "ania@example.com", "PL-201", {
        data_sharing: { status: "denied" },
      });
      expect(await emitPurchaseCreated(database.db, queues(), refused.eventId)).toBe(0);
      expect(await emitPurchaseCreated(database.db, queues(), shared.eventId)).toBeGreaterThanOrEqual(1);
      await waitFor("the partner's message", () => partner.received.length >= 1 || undefined);
      expect(partner.received).toHaveLength(1);
      expect(JSON.parse(partner.received[0]!.body).data).toEqual({
        orderId: "PL-200",
        total: "59.90",
        currency: "PLN",
      });
      expect(
        await database.db.webhookMessage.count({
          where: { payload: { path: ["data", "orderId"], equals: "PL-201" } },
        }),
      ).toBe(0);
    } finally {
      await partner.close();
    }
  });

  it("gives up on a receiver that refuses the body (4xx) at once, and marks the message failed", async () => {
    const strict = await receiver([422]);
    try {
      const subscription = await database.db.webhookSubscription.create({
        data: {
          name: "strict",
          url: strict.url,
          events: ["purchase.created"],
          fields: [],
          secret: newWebhookSecret(),
          createdBy: "test",
        },
      });
      const { eventId } = await purchaseOf(database.db, "piotr@example.com", "PL-300");
      await emitPurchaseCreated(database.db, queues(), eventId);
      const failed = await waitFor("the message failed", () =>
        database.db.webhookMessage.findFirst({
          where: { subscriptionId: subscription.id, status: "failed" },
        }),
      );
      expect(failed.attempts).toBe(1);
      expect(failed.lastStatus).toBe(422);
      expect(strict.received).toHaveLength(1);
      const after = await database.db.webhookSubscription.findUniqueOrThrow({
        where: { id: subscription.id },
      });
      expect(after.failingSince).not.toBeNull();
      expect(after.pausedAt).toBeNull();
    } finally {
      await strict.close();
    }
  });

  it("pauses a subscription whose messages have failed for 3 days", async () => {
    const down = await receiver([410]);
    try {
      const subscription = await database.db.webhookSubscription.create({
        data: {
          name: "gone",
          url: down.url,
          events: ["purchase.created"],
          fields: [],
          secret: newWebhookSecret(),
          createdBy: "test",
          failingSince: new Date(Date.now() - 3 * 24 * 3_600_000 - 1_000),
        },
      });
      const { eventId } = await purchaseOf(database.db, "gone@example.com", "PL-400");
      await emitPurchaseCreated(database.db, queues(), eventId);
      const paused = await waitFor("the subscription paused", () =>
        database.db.webhookSubscription.findFirst({
          where: { id: subscription.id, pausedAt: { not: null } },
        }),
      );
      expect(paused.active).toBe(true);
      // paused: the next order makes no message for it
      const next = await purchaseOf(database.db, "gone@example.com", "PL-401");
      await emitPurchaseCreated(database.db, queues(), next.eventId);
      expect(await database.db.webhookMessage.count({ where: { subscriptionId: subscription.id } })).toBe(1);
    } finally {
      await down.close();
    }
  });
});

describe("outbound webhooks in the running app", () => {
  let app: TestApp;
  let local: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    local = await receiver([]);
    app = await startTestApp({
      databaseUrl: database.url,
      redisUrl: redis.url,
      prefix: `${redis.prefix}-app`,
    });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await local?.close();
  });

  it("a purchase posted to /api/events reaches a subscribed local receiver, signed", async () => {
    const secret = newWebhookSecret();
    await database.db.webhookSubscription.create({
      data: {
        name: "local",
        url: local.url,
        events: ["purchase.created"],
        fields: [],
        secret,
        createdBy: "test",
      },
    });
    const response = await app.postEvent({
      type: "purchase",
      orderId: "APP-1",
      customer: { email: "app@example.com" },
      total: "12.00",
      currency: "EUR",
      items: [{ sku: "MUG", quantity: 1, price: "12.00" }],
    });
    expect(response.status).toBe(201);
    const [request] = await waitFor(
      "purchase.created at the receiver",
      () => {
        const found = local.received.filter((r) => JSON.parse(r.body).data.orderId === "APP-1");
        return found.length ? found : undefined;
      },
      20_000,
    );
    expect(
      verifyStandardWebhook(secret, request!.headers, request!.body, Math.floor(Date.now() / 1000)),
    ).toBe(true);
  });

  it("a web chat visitor's first message reaches a local receiver as customer.created, conversation.created and message.received, signed", async () => {
    const crm = await receiver([]);
    onTestFinished(() => crm.close());
    const secret = newWebhookSecret();
    await database.db.webhookSubscription.create({
      data: {
        name: "crm",
        url: crm.url,
        events: ["customer.created", "conversation.created", "message.received"],
        fields: [],
        secret,
        createdBy: "test",
      },
    });
    const post = (url: string, body: unknown) =>
      fetch(`${app.url}${url}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const session = await post("/webchat/api/session", { locale: "id-ID" });
    expect(session.status).toBe(201);
    const visitor = (await session.json()) as { visitorId: string; token: string };
    const said = await post("/webchat/api/messages", {
      ...visitor,
      clientMessageId: "m-1",
      text: "Halo, pesanan saya sudah dikirim?",
      locale: "id-ID",
    });
    expect(said.status).toBeLessThan(300);
    const received = await waitFor(
      "three events at the receiver",
      () => {
        const bodies = crm.received.map(
          (r) => JSON.parse(r.body) as { type: string; data: { text?: string } },
        );
        return bodies.some((b) => b.type === "message.received") && bodies.length >= 3 ? bodies : undefined;
      },
      20_000,
    );
    expect(received.map((b) => b.type).sort()).toEqual([
      "conversation.created",
      "customer.created",
      "message.received",
    ]);
    expect(received.find((b) => b.type === "message.received")!.data.text).toBe(
      "Halo, pesanan saya sudah dikirim?",
    );
    expect(crm.received).toHaveLength(3);
    for (const request of crm.received) {
      expect(
        verifyStandardWebhook(secret, request.headers, request.body, Math.floor(Date.now() / 1000)),
      ).toBe(true);
    }
  });
});

describe("rapport webhooks", () => {
  it("adds a subscription and prints its secret once; refuses an unknown event type naming the known ones", async () => {
    const env = { DATABASE_URL: database.url };
    const added = await rapport(
      [
        "webhooks",
        "add",
        "https://erp.example.com/hooks",
        "--event",
        "purchase.created",
        "--field",
        "orderId",
        "total",
      ],
      process.cwd(),
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const row = await database.db.webhookSubscription.findFirstOrThrow({
      where: { url: "https://erp.example.com/hooks" },
    });
    expect(row).toMatchObject({
      name: "erp.example.com",
      events: ["purchase.created"],
      fields: ["orderId", "total"],
      secret,
    });
    const unknown = await rapport(
      ["webhooks", "add", "https://x.example", "--event", "order.paid"],
      process.cwd(),
      env,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /unknown event type order\.paid: use customer\.created, customer\.updated, .*purchase\.created/,
    );
  }, 60_000);
});
