import { createHash } from "node:crypto";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Db, Prisma } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import {
  newWebhookSecret,
  signWebhook,
  WEBHOOK_EVENTS,
  type WebhookEventType,
} from "../lib/standard-webhooks.ts";
import { refuseForeignJobs, type Stamped, stamp } from "./installation.ts";
import { JOB_RETENTION, type QueueContext, queueFor, stallOptions } from "./queues.ts";

/**
 * Outbound webhooks, as the Standard Webhooks specification (standardwebhooks.com) says: a POST of
 * `{ type, timestamp, data }` with `webhook-id` (the same on every try), `webhook-timestamp` (seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed with the subscription's
 * `whsec_` secret, so receivers can use the specification's own verifiers. Each event becomes a
 * WebhookMessage per subscription when it happens (the body fixed then), sent through the `webhooks` queue,
 * retried with growing pauses for up to a day, every try kept as a WebhookAttempt.
 */

export { newWebhookSecret, signWebhook, WEBHOOK_EVENTS, type WebhookEventType };

/** The queue of outbound webhook messages. */
export const QUEUE_WEBHOOKS = "webhooks";

/**
 * Pauses before each retry, in ms: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then the last try about 24 h after the
 * first (the specification's own schedule, ended at a day).
 */
export const WEBHOOK_RETRY_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 22_000_000];
/** A subscription whose messages have failed for this long without one getting through is paused. */
export const PAUSE_AFTER_MS = 3 * 24 * 3_600_000;
/** How long a receiver has to answer, in ms. */
const TIMEOUT_MS = 10_000;

/** A job of the `webhooks` queue: send one message, or (name `relay`) turn the outbox into messages. */
export interface WebhooksJob extends Stamped {
  messageId?: string;
}

/** How often the relay turns outbox rows into messages, in ms: a webhook leaves about this long after the change. */
export const RELAY_EVERY_MS = 1_000;
/** Outbox rows taken per relay transaction. */
const RELAY_BATCH = 1_000;
/** Unqueued pending messages queued per relay round. */
const QUEUE_BATCH = 2_000;

/** Whether the customer refused to have their data shared (`consent.data_sharing.status` is `denied`). */
function refusedSharing(consent: unknown): boolean {
  const sharing = (consent as Record<string, { status?: unknown } | undefined> | null)?.data_sharing;
  return sharing?.status === "denied";
}

/** `data` with only the allowed top-level fields (all of them when the list is empty). */
export function allowedFields(
  data: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  if (fields.length === 0) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => fields.includes(key)));
}

export interface WebhookEvent {
  type: WebhookEventType;
  /** What it is about, unique for the type (an event id, a delivery id): the message id derives from it. */
  sourceId: string;
  /** The customer it is about, if any: one who refused data sharing is never sent. */
  customerId?: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/**
 * Writes the event as a message for every active subscription that asks for its type, and queues them.
 * Idempotent: the same event (type and source id) makes the same messages once.
 * @returns how many messages were queued.
 */
export async function emitWebhook(db: Db, queues: QueueContext, event: WebhookEvent): Promise<number> {
  const subscriptions = await db.webhookSubscription.findMany({
    where: { active: true, pausedAt: null, OR: [{ events: { has: event.type } }, { events: { has: "*" } }] },
  });
  if (subscriptions.length === 0) return 0;
  if (event.customerId !== undefined) {
    const customer = await db.customer.findUnique({
      where: { id: event.customerId },
      select: { consent: true },
    });
    if (customer && refusedSharing(customer.consent)) return 0;
  }
  const msgId = msgIdOf(event.type, event.sourceId);
  await db.webhookMessage.createMany({
    data: subscriptions.map((s) => messageRow(s, event.type, msgId, event.occurredAt, event.data)),
    skipDuplicates: true,
  });
  const messages = await db.webhookMessage.findMany({
    where: { msgId, subscriptionId: { in: subscriptions.map((s) => s.id) }, status: "pending" },
    select: { id: true },
  });
  await queueMessages(db, queues, messages);
  return messages.length;
}

/** `webhook-id`: derived from what the event is about, so the same event is one message however often it is emitted. */
const msgIdOf = (type: string, sourceId: string) =>
  `msg_${createHash("sha256").update(`${type}:${sourceId}`).digest("hex").slice(0, 26)}`;

/** One subscription's message of an event: its body fixed now, with only the fields the subscription allows. */
function messageRow(
  subscription: { id: string; fields: string[] },
  type: string,
  msgId: string,
  occurredAt: Date,
  data: Record<string, unknown>,
): Prisma.WebhookMessageCreateManyInput {
  return {
    subscriptionId: subscription.id,
    msgId,
    type,
    payload: {
      type,
      timestamp: occurredAt.toISOString(),
      data: allowedFields(data, subscription.fields),
    } as Prisma.InputJsonValue,
  };
}

/** Whether a subscription asks for an event type. */
const wants = (events: readonly string[], type: string) => events.includes(type) || events.includes("*");

/** Puts messages on the queue and notes when, so the relay does not queue them again. */
async function queueMessages(db: Db, queues: QueueContext, messages: Array<{ id: string }>): Promise<void> {
  if (messages.length === 0) return;
  await Promise.all(messages.map((m) => enqueueWebhook(queues, m.id)));
  await db.webhookMessage.updateMany({
    where: { id: { in: messages.map((m) => m.id) } },
    data: { queuedAt: new Date() },
  });
}

interface OutboxRow {
  id: bigint;
  type: string;
  customerId: string | null;
  sharingDenied: boolean;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/**
 * One round of the relay. The database's triggers write what happened (customer, conversation, message,
 * delivery, consent, segment and loyalty changes) into `WebhookOutbox` in the change's own transaction, and
 * only for types an active subscription asks for (migration `webhook_outbox`). Here, in one transaction, a
 * batch of those rows becomes a message per subscription that asks for its type, with the fields it allows
 * and never about a customer who refused data sharing (or one gone since, but for `customer.erased`), and
 * the rows are deleted. Then every pending message not yet queued is queued, so a crash between the two
 * loses nothing; a message queued twice is sent once (the sender skips a delivered one).
 * @returns how many outbox rows were taken and how many messages queued.
 */
export async function relayWebhooks(
  db: Db,
  queues: QueueContext,
): Promise<{ events: number; queued: number }> {
  let events = 0;
  for (;;) {
    const taken = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<OutboxRow[]>`
        DELETE FROM "WebhookOutbox" WHERE id IN (
          SELECT id FROM "WebhookOutbox" ORDER BY id LIMIT ${RELAY_BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING id, type, "customerId", "sharingDenied", "occurredAt", data`;
      if (rows.length === 0) return 0;
      const subscriptions = await tx.webhookSubscription.findMany({
        where: { active: true, pausedAt: null },
        select: { id: true, events: true, fields: true, createdAt: true },
      });
      const customerIds = [...new Set(rows.flatMap((r) => (r.customerId ? [r.customerId] : [])))];
      const customers = await tx.customer.findMany({
        where: { id: { in: customerIds } },
        select: { id: true, consent: true },
      });
      const present = new Set(customers.map((c) => c.id));
      const refused = new Set(customers.filter((c) => refusedSharing(c.consent)).map((c) => c.id));
      const messages = rows.flatMap((row) => {
        if (row.sharingDenied) return [];
        if (row.customerId !== null) {
          if (refused.has(row.customerId)) return [];
          if (!present.has(row.customerId) && row.type !== "customer.erased") return [];
        }
        const msgId = msgIdOf(row.type, `outbox:${row.id}`);
        // a subscription gets what happens after it was made, not what waited in the outbox for the relay
        return subscriptions
          .filter((s) => wants(s.events, row.type) && s.createdAt <= row.occurredAt)
          .map((s) => messageRow(s, row.type, msgId, row.occurredAt, row.data));
      });
      await tx.webhookMessage.createMany({ data: messages, skipDuplicates: true });
      return rows.length;
    });
    events += taken;
    if (taken < RELAY_BATCH) break;
  }
  let queued = 0;
  for (;;) {
    const unqueued = await db.webhookMessage.findMany({
      where: { status: "pending", queuedAt: null },
      orderBy: { createdAt: "asc" },
      select: { id: true },
      take: QUEUE_BATCH,
    });
    await queueMessages(db, queues, unqueued);
    queued += unqueued.length;
    if (unqueued.length < QUEUE_BATCH) break;
  }
  return { events, queued };
}

/** Registers the relay: one round every `everyMs` on the `webhooks` queue, however many processes run it. */
export async function startWebhookRelay(queues: QueueContext, everyMs = RELAY_EVERY_MS): Promise<void> {
  await queueFor<WebhooksJob>(queues, QUEUE_WEBHOOKS).upsertJobScheduler(
    "webhook-relay",
    { every: everyMs },
    { name: "relay", data: stamp(queues, {}), opts: JOB_RETENTION },
  );
}

/**
 * `purchase.created` for a stored purchase event: the order, its customer's contacts and its lines. Sent
 * once per order however often the shop retries (the message id derives from the event).
 */
export async function emitPurchaseCreated(db: Db, queues: QueueContext, eventId: string): Promise<number> {
  const event = await db.event.findUnique({
    where: { id: eventId },
    include: {
      customer: { select: { id: true, email: true, phone: true, name: true } },
      purchases: { orderBy: { sku: "asc" } },
    },
  });
  if (event?.type !== "purchase") return 0;
  return emitWebhook(db, queues, {
    type: "purchase.created",
    sourceId: event.id,
    customerId: event.customerId,
    occurredAt: event.occurredAt,
    data: {
      id: event.id,
      orderId: event.externalId,
      source: event.source,
      total: event.value?.toFixed(2) ?? null,
      currency: event.currency,
      occurredAt: event.occurredAt.toISOString(),
      customer: event.customer,
      items: event.purchases.map((p) => ({
        sku: p.sku,
        name: p.name,
        quantity: p.quantity,
        unitPrice: p.unitPrice.toFixed(2),
        currency: p.currency,
      })),
    },
  });
}

/** Queues one message (again, for a replay); the job id is the message's, so it is queued once at a time. */
export async function enqueueWebhook(queues: QueueContext, messageId: string, replay = false): Promise<void> {
  await queueFor<WebhooksJob>(queues, QUEUE_WEBHOOKS).add("webhook", stamp(queues, { messageId }), {
    jobId: replay ? `${messageId}-replay-${Date.now()}` : messageId,
    attempts: WEBHOOK_RETRY_MS.length + 1,
    backoff: { type: "webhook" },
    ...JOB_RETENTION,
  });
}

export interface WebhooksDeps {
  db: Db;
  log: Logger;
  now?: () => number;
  /** Pauses between tries, in ms. Defaults to {@link WEBHOOK_RETRY_MS}. */
  retryMs?: readonly number[];
}

/** Sends one message once; throws when the receiver did not take it (the queue tries again). */
export function sendWebhookMessage(deps: WebhooksDeps) {
  const now = deps.now ?? Date.now;
  return async (job: Job<WebhooksJob>): Promise<{ status: number } | { skipped: string }> => {
    if (job.data.messageId === undefined) return { skipped: "no message" };
    const message = await deps.db.webhookMessage.findUnique({
      where: { id: job.data.messageId },
      include: { subscription: true },
    });
    if (!message) return { skipped: "gone" };
    if (message.status === "delivered" && !job.id?.includes("-replay-")) return { skipped: "delivered" };
    const subscription = message.subscription;
    if (!subscription.active || subscription.pausedAt) return { skipped: "subscription inactive" };
    const body = JSON.stringify(message.payload);
    const timestamp = Math.floor(now() / 1_000);
    const started = now();
    let status: number | null = null;
    let excerpt: string | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(subscription.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Rapport-Webhooks/1",
          "webhook-id": message.msgId,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signWebhook(subscription.secret, message.msgId, timestamp, body),
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = response.status;
      excerpt = (await response.text().catch(() => "")).slice(0, 500);
    } catch (caught) {
      error = (caught instanceof Error ? caught.message : String(caught)).slice(0, 500);
    }
    const ok = status !== null && status >= 200 && status < 300;
    const at = new Date(now());
    await deps.db.$transaction([
      deps.db.webhookAttempt.create({
        data: { messageId: message.id, at, status, durationMs: Math.max(0, now() - started), excerpt, error },
      }),
      deps.db.webhookMessage.update({
        where: { id: message.id },
        data: {
          attempts: { increment: 1 },
          lastStatus: status,
          lastError: error ?? (ok ? null : `answered ${status}`),
          ...(ok && { status: "delivered", deliveredAt: at }),
        },
      }),
    ]);
    if (ok) {
      if (subscription.failingSince) {
        await deps.db.webhookSubscription.update({
          where: { id: subscription.id },
          data: { failingSince: null },
        });
      }
      return { status: status! };
    }
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) await failedForGood(deps, message.id, subscription, at);
    const reason = error ?? `answered ${status}`;
    // a 4xx other than 408/429 is the receiver refusing this body: trying it again will not help
    if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      if (!last) await failedForGood(deps, message.id, subscription, at);
      throw new UnrecoverableError(`${subscription.url} ${reason}`);
    }
    throw new Error(`${subscription.url} ${reason}`);
  };
}

/** The message failed for good: marked so; its subscription starts failing, and is paused after 3 days of it. */
async function failedForGood(
  deps: WebhooksDeps,
  messageId: string,
  subscription: { id: string; name: string; failingSince: Date | null },
  at: Date,
): Promise<void> {
  const since = subscription.failingSince ?? at;
  const pause = at.getTime() - since.getTime() >= PAUSE_AFTER_MS;
  await deps.db.$transaction([
    deps.db.webhookMessage.update({ where: { id: messageId }, data: { status: "failed" } }),
    deps.db.webhookSubscription.update({
      where: { id: subscription.id },
      data: { failingSince: since, ...(pause && { pausedAt: at }) },
    }),
  ]);
  if (pause) {
    deps.log.warn(
      { subscription: subscription.id, name: subscription.name, failingSince: since },
      "webhook subscription paused: its messages have failed for 3 days",
    );
  }
}

/** The worker of the `webhooks` queue. */
export function startWebhooksWorker(
  deps: WebhooksDeps & {
    connection: Redis;
    prefix: string;
    installation?: string;
    stalledIntervalMs?: number;
  },
): Worker<WebhooksJob> {
  const retry = deps.retryMs ?? WEBHOOK_RETRY_MS;
  const send = sendWebhookMessage(deps);
  const queues = { connection: deps.connection, prefix: deps.prefix, installation: deps.installation };
  const worker = new Worker<WebhooksJob>(
    QUEUE_WEBHOOKS,
    refuseForeignJobs(
      deps.installation,
      deps.log,
      async (job: Job<WebhooksJob>): Promise<object> =>
        job.name === "relay" ? relayWebhooks(deps.db, queues) : send(job),
    ),
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: 4,
      ...stallOptions(deps.stalledIntervalMs),
      ...JOB_RETENTION,
      settings: {
        backoffStrategy: (attemptsMade: number) => retry[Math.min(attemptsMade, retry.length) - 1] ?? 5_000,
      },
    },
  );
  worker.on("error", (error) => deps.log.error({ err: error }, "webhooks worker error"));
  return worker;
}
