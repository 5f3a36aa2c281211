import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Channel, OutboundMessage } from "../bots/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TemplateError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import type { TemplateStore } from "../templates/index.ts";
import { DELIVER_ATTEMPTS, type DeliverJob } from "./deliver-queue.ts";
import { JOB_RETENTION, QUEUE } from "./queues.ts";

/** Dependencies of a deliver worker. */
export interface DeliverDeps {
  db: Db;
  templates: TemplateStore;
  clock: Clock;
  log: Logger;
}

/** What a deliver job did. Skips are outcomes, recorded on the Delivery. */
export type DeliverOutcome =
  | { kind: "sent"; providerId: string }
  | { kind: "suppressed"; reason: string }
  | { kind: "done-before"; status: string };

const FINAL = new Set(["sent", "suppressed", "skipped", "failed"]);

/**
 * Sends one Delivery through its channel: checks suppressions at send time, renders the template in the
 * customer's locale, sends with the Delivery key as idempotency key, and records the outcome. A Delivery
 * already final is left alone, so a redelivered job never sends twice.
 */
export async function deliverOne(
  deps: DeliverDeps,
  channel: Channel,
  deliveryId: string,
  lastAttempt: boolean,
): Promise<DeliverOutcome> {
  const delivery = await deps.db.delivery.findUnique({
    where: { id: deliveryId },
    include: { customer: { select: { timezone: true, consent: true } } },
  });
  if (!delivery) return { kind: "done-before", status: "missing" };
  if (FINAL.has(delivery.status)) return { kind: "done-before", status: delivery.status };
  const recipient = delivery.recipient ?? "";
  // opt-outs are kept under the platform's user id; DMs on Discord and X are addressed "user:<id>" / "dm:<id>"
  const suppression = await deps.db.suppression.findFirst({
    where: { channel: delivery.channel, address: { in: [recipient, recipient.replace(/^(user|dm):/, "")] } },
  });
  // marketing stops at any suppression; transactional mail only at hard ones (bounce, complaint)
  if (
    suppression &&
    (delivery.kind === "marketing" || ["bounced", "complained"].includes(suppression.reason))
  ) {
    await finish(deps, delivery.id, { status: "suppressed", reason: suppression.reason });
    return { kind: "suppressed", reason: suppression.reason };
  }
  if (delivery.kind === "marketing" && consentOf(delivery.customer.consent, delivery.channel) === "denied") {
    await finish(deps, delivery.id, { status: "suppressed", reason: "opted_out" });
    return { kind: "suppressed", reason: "opted_out" };
  }
  let message: OutboundMessage;
  try {
    message = delivery.template
      ? renderMessage(deps.templates, channel, delivery)
      : directMessage(delivery.id, recipient, delivery.data);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    await finish(deps, delivery.id, { status: "failed", reason: "template_error", error: error.message });
    throw new UnrecoverableError(error.message);
  }
  try {
    const sent = await channel.send(message, delivery.key);
    const now = new Date(deps.clock.now());
    await deps.db.$transaction([
      deps.db.delivery.update({
        where: { id: delivery.id },
        data: {
          status: "sent",
          sentAt: now,
          providerId: sent.providerId,
          attempts: { increment: 1 },
          error: null,
        },
      }),
      deps.db.interaction.createMany({
        data: [
          {
            customerId: delivery.customerId,
            conversationId: delivery.conversationId,
            channel: delivery.channel,
            direction: "outbound",
            author: "bot",
            externalId: `${channel.name}:${sent.providerId}`,
            text: message.subject ? `${message.subject}\n\n${message.text}` : message.text,
            sentAt: now,
            deliveryId: delivery.id,
          },
        ],
        skipDuplicates: true,
      }),
    ]);
    return { kind: "sent", providerId: sent.providerId };
  } catch (error) {
    if (error instanceof RateLimitedError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof PermanentSendError || lastAttempt) {
      await finish(deps, delivery.id, {
        status: "failed",
        reason: error instanceof PermanentSendError ? "rejected" : "retries_exhausted",
        error: text,
      });
      throw new UnrecoverableError(text);
    }
    await deps.db.delivery.update({
      where: { id: delivery.id },
      data: { attempts: { increment: 1 }, error: text },
    });
    throw error;
  }
}

function renderMessage(
  templates: TemplateStore,
  channel: Channel,
  delivery: {
    id: string;
    template: string | null;
    locale: string | null;
    data: unknown;
    recipient: string | null;
    customer: { timezone: string | null };
  },
): OutboundMessage {
  const rendered = templates.render(
    delivery.template ?? "",
    channel.name,
    delivery.locale ?? "en",
    delivery.data as Record<string, unknown>,
    {
      timezone: delivery.customer.timezone ?? undefined,
    },
  );
  return {
    deliveryId: delivery.id,
    to: delivery.recipient ?? "",
    text: rendered.text,
    subject: rendered.subject,
    html: rendered.html,
  };
}

/** A reply written by the bot or staff: its text is in the Delivery's data, no template. */
function directMessage(deliveryId: string, to: string, data: unknown): OutboundMessage {
  const reply = (data ?? {}) as {
    text?: string;
    replyTo?: string | null;
    buttons?: OutboundMessage["buttons"] | null;
  };
  return {
    deliveryId,
    to,
    text: reply.text ?? "",
    ...(reply.replyTo ? { replyTo: reply.replyTo } : {}),
    ...(reply.buttons ? { buttons: reply.buttons } : {}),
  };
}

function consentOf(consent: unknown, channel: string): string | undefined {
  return (consent as Record<string, { status?: string } | undefined> | null)?.[channel]?.status;
}

async function finish(
  deps: DeliverDeps,
  id: string,
  outcome: { status: "failed" | "suppressed"; reason: string; error?: string },
): Promise<void> {
  await deps.db.delivery.update({
    where: { id },
    data: {
      status: outcome.status,
      reason: outcome.reason,
      error: outcome.error ?? null,
      failedAt: outcome.status === "failed" ? new Date(deps.clock.now()) : undefined,
    },
  });
}

/**
 * The worker of one channel's queue, at the provider's rate (`channel.limit`). A provider 429 pauses the
 * whole queue for the provider's own retry time and puts the job back without spending an attempt.
 */
export function startDeliverWorker(
  deps: DeliverDeps & { connection: Redis; prefix: string; concurrency: number },
  channel: Channel,
): Worker<DeliverJob> {
  const log = deps.log.child({ component: "deliver", channel: channel.name });
  const worker: Worker<DeliverJob> = new Worker<DeliverJob>(
    QUEUE.deliver(channel.name),
    async (job: Job<DeliverJob>) => {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? DELIVER_ATTEMPTS);
      try {
        const outcome = await deliverOne({ ...deps, log }, channel, job.data.deliveryId, lastAttempt);
        log.debug({ deliveryId: job.data.deliveryId, outcome }, "delivery processed");
        return outcome;
      } catch (error) {
        if (error instanceof RateLimitedError) {
          log.warn(
            { deliveryId: job.data.deliveryId, retryAfterMs: error.retryAfterMs },
            "provider rate limit: pausing the queue",
          );
          await worker.rateLimit(error.retryAfterMs);
          throw Worker.RateLimitError();
        }
        log.warn(
          { deliveryId: job.data.deliveryId, err: error, attempt: job.attemptsMade + 1 },
          "delivery attempt failed",
        );
        throw error;
      }
    },
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: Math.min(deps.concurrency, channel.limit.max),
      limiter: { max: channel.limit.max, duration: channel.limit.durationMs },
      ...JOB_RETENTION,
    },
  );
  worker.on("error", (error) => log.error({ err: error }, "deliver worker error"));
  return worker;
}
