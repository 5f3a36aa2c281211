import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Channel, ShopCoupons } from "../bots/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TemplateError, TransientSendError } from "../lib/errors.ts";
import type { Logger } from "../lib/logger.ts";
import { processMetrics } from "../lib/metrics.ts";
import type { Redis } from "../lib/redis.ts";
import type { LiveCampaign } from "./campaign-registry.ts";
import { deliverBatch } from "./deliver-batch.ts";
import { UnsentMarksError } from "./deliver-chat.ts";
import { observeSends } from "./deliver-metrics.ts";
import type { DeliverJob } from "./deliver-queue.ts";
import {
  type PendingRecord,
  RecordingPendingError,
  recordAnswers,
  recordBackoffMs,
  recordOutcome,
} from "./deliver-record.ts";
import { DELIVER_RETRY, isLastTry, type RetryPolicy, retryDelayMs } from "./deliver-retry.ts";
import { refuseForeignJobs } from "./installation.ts";
import { JOB_RETENTION, QUEUE, stallOptions } from "./queues.ts";
import { type RenderDeps, renderDelivery } from "./render.ts";
import { holdOf, type SendLimits } from "./send-checks.ts";
import { redisSendSlots, type SendSlots, SendSlotsSpentError } from "./send-slots.ts";
import { SEND_TIMEOUT_MS, withSendTimeout } from "./send-timeout.ts";
import { COUPON_REFUSED, type ShopHold, shopHolds, shopRetryMs, WAITING_FOR_SHOP } from "./shop-coupons.ts";

/** Dependencies of a deliver worker. */
export interface DeliverDeps extends RenderDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** The campaign a Delivery came from, whatever its status (paused campaigns hold their messages). */
  campaign: (id: string) => LiveCampaign | undefined;
  /**
   * Told the outcome of each single Delivery once it is recorded (sent, failed, suppressed, skipped): the
   * console's live updates listen here. Never awaited; what it throws is logged and ignored.
   */
  onDelivered?: (delivered: Delivered) => void;
  /** How long a provider has to answer one send or batch, in ms (SEND_TIMEOUT_MS). Defaults to 30 000. */
  sendTimeoutMs?: number;
  /**
   * The connected shop (Shopify, WooCommerce): a message carrying a `unique()` code waits until the shop has
   * confirmed the code (workers/shop-coupons.ts). Without one, codes are loaded into the shop by hand.
   */
  shopCoupons?: ShopCoupons;
  /**
   * The provider's rate counted per message, for batch jobs of a chat channel (workers/send-slots.ts): the
   * worker draws them from its queue's limiter. Without it, a batch sends as fast as the provider answers.
   */
  sendSlots?: SendSlots;
}

/** A Delivery whose outcome was just recorded, for {@link DeliverDeps.onDelivered}. */
export interface Delivered {
  id: string;
  customerId: string;
  conversationId: string | null;
  channel: string;
  status: "sent" | "failed" | "suppressed" | "skipped";
}

/** Tells {@link DeliverDeps.onDelivered} one Delivery's outcome; what it throws is logged and ignored. */
export function tell(
  deps: Pick<DeliverDeps, "onDelivered" | "log">,
  delivery: Omit<Delivered, "status">,
  status: Delivered["status"],
): void {
  if (!deps.onDelivered) return;
  try {
    deps.onDelivered({
      id: delivery.id,
      customerId: delivery.customerId,
      conversationId: delivery.conversationId,
      channel: delivery.channel,
      status,
    });
  } catch (error) {
    deps.log.warn({ err: error, deliveryId: delivery.id }, "onDelivered failed");
  }
}

/** What a deliver job did. Skips are outcomes, recorded on the Delivery. */
export type DeliverOutcome =
  | { kind: "sent"; providerId: string }
  | { kind: "suppressed" | "skipped"; reason: string }
  | { kind: "paused"; campaignId: string }
  | { kind: "waiting"; reason: typeof WAITING_FOR_SHOP; error: string; retryAfterMs?: number }
  | { kind: "done-before"; status: string };

/**
 * Applies the shop's answer about a Delivery's codes: a refused code fails it (never sent with a code the shop
 * will not take); a code not confirmed yet keeps it queued with reason `waiting_for_shop` and the shop's error,
 * for the worker to look again later; confirmed codes clear that reason.
 */
export async function applyShopHold(
  deps: Pick<DeliverDeps, "db">,
  delivery: { id: string; reason: string | null },
  hold: ShopHold | undefined,
  now: Date,
): Promise<DeliverOutcome | undefined> {
  if (!hold) {
    if (delivery.reason === WAITING_FOR_SHOP)
      await deps.db.delivery.updateMany({
        where: { id: delivery.id, reason: WAITING_FOR_SHOP },
        data: { reason: null, error: null },
      });
    return undefined;
  }
  if (hold.kind === "refused") {
    await recordOutcome(
      deps.db,
      [delivery.id],
      { status: "failed", reason: COUPON_REFUSED, error: hold.error },
      now,
    );
    throw new UnrecoverableError(hold.error);
  }
  await deps.db.delivery.updateMany({
    where: { id: delivery.id, status: { in: ["planned", "queued"] } },
    data: { reason: WAITING_FOR_SHOP, error: hold.error },
  });
  return {
    kind: "waiting",
    reason: WAITING_FOR_SHOP,
    error: hold.error,
    ...(hold.retryAfterMs !== undefined && { retryAfterMs: hold.retryAfterMs }),
  };
}

/** Statuses after which a Delivery is never sent again. */
export const FINAL = new Set(["sent", "suppressed", "skipped", "failed"]);

/** How long a paused campaign's messages wait before they look again. */
export const PAUSED_RECHECK_MS = 30_000;

/** The campaign's send-time limits, and whether it holds its messages. */
export function campaignGate(
  deps: Pick<DeliverDeps, "campaign">,
  campaignId: string | null,
): {
  paused: boolean;
  archived: boolean;
  limits: SendLimits;
  coupons?: NonNullable<LiveCampaign["campaign"]["coupons"]>;
} {
  const live = campaignId ? deps.campaign(campaignId) : undefined;
  return {
    paused: live?.status === "paused" || live?.status === "draft",
    archived: live?.status === "archived",
    limits: { ...live?.campaign.limits, consent: live?.campaign.consent },
    ...(live?.campaign.coupons && { coupons: live.campaign.coupons }),
  };
}

/** Why a Delivery on a channel without idempotency key is failed instead of sent again. */
export const UNKNOWN_OUTCOME = "unknown_outcome";

/** True when the provider may have taken the message although the call failed. */
export function mayHaveGoneOut(error: unknown): boolean {
  if (error instanceof RateLimitedError || error instanceof PermanentSendError) return false;
  return !(error instanceof TransientSendError && error.notSent);
}

/**
 * Sends one Delivery through its channel: checks suppressions, consent and caps at send time, renders the
 * template in the customer's locale, sends with the Delivery key as idempotency key, and records the
 * outcome. A Delivery already final is left alone, so a redelivered job never sends twice.
 *
 * A send has `deps.sendTimeoutMs` to be answered. On an idempotent channel (email) a failed or unanswered
 * send is retried under the same key. On a channel without idempotency key (Telegram, X) it is sent at most
 * once: `sendStartedAt` is set before the call and cleared only when the provider proved it did not take the
 * message (refused the connection, answered an error or a rate limit); a send that may have gone out (no
 * answer, connection cut, timeout, or a crash mid-call found by the retry) is recorded failed with reason
 * `unknown_outcome`, for a person to check, instead of being sent again.
 */
export async function deliverOne(
  deps: DeliverDeps,
  channel: Channel,
  deliveryId: string,
  lastAttempt: boolean,
  recording?: readonly PendingRecord[],
): Promise<DeliverOutcome> {
  const delivery = await deps.db.delivery.findUnique({
    where: { id: deliveryId },
    include: { customer: { select: { timezone: true, consent: true } } },
  });
  if (!delivery) return { kind: "done-before", status: "missing" };
  if (FINAL.has(delivery.status)) return { kind: "done-before", status: delivery.status };
  if (recording) {
    // sent by an earlier attempt whose recording failed: record it now, never send again
    await recordAnswers(deps.db, [delivery], recording, new Date(deps.clock.now()));
    tell(deps, delivery, "sent");
    const sent = recording.find((r) => "providerId" in r);
    return { kind: "sent", providerId: sent && "providerId" in sent ? sent.providerId : "" };
  }
  const now = new Date(deps.clock.now());
  const atMostOnce = channel.idempotent !== true;
  if (atMostOnce && delivery.sendStartedAt) {
    // an earlier attempt began this send and never learnt how it ended (a crash, a lost database): the
    // message may be out, and this channel cannot tell a second send from a new message
    const error = `${channel.name}: a send began at ${delivery.sendStartedAt.toISOString()} and its answer never came; not sent again`;
    await recordOutcome(deps.db, [delivery.id], { status: "failed", reason: UNKNOWN_OUTCOME, error }, now);
    tell(deps, delivery, "failed");
    throw new UnrecoverableError(error);
  }
  const gate = campaignGate(deps, delivery.campaignId);
  if (gate.paused) return { kind: "paused", campaignId: delivery.campaignId! };
  if (gate.archived) {
    await recordOutcome(deps.db, [delivery.id], { status: "skipped", reason: "archived" }, now);
    tell(deps, delivery, "skipped");
    return { kind: "skipped", reason: "archived" };
  }
  const hold = await holdOf(deps.db, delivery, gate.limits, now);
  if (hold) {
    await recordOutcome(deps.db, [delivery.id], hold, now);
    tell(deps, delivery, hold.status);
    return { kind: hold.status, reason: hold.reason };
  }
  // a code the shop has not confirmed never goes out: create it there first, or wait for it
  const shopHold = (await shopHolds(deps, gate.coupons, [delivery])).get(delivery.id);
  if (shopHold?.kind === "refused") tell(deps, delivery, "failed");
  const waiting = await applyShopHold(deps, delivery, shopHold, now);
  if (waiting) return waiting;
  // a written reply may answer something on its channel (by email: the customer's last email in its conversation)
  const thread =
    channel.threadFor && !delivery.template && delivery.conversationId
      ? await channel.threadFor(deps.db, delivery.conversationId)
      : undefined;
  let message: ReturnType<typeof renderDelivery>;
  try {
    message = renderDelivery(deps, channel, delivery, thread);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    await recordOutcome(
      deps.db,
      [delivery.id],
      { status: "failed", reason: "template_error", error: error.message },
      now,
    );
    tell(deps, delivery, "failed");
    throw new UnrecoverableError(error.message);
  }
  if (atMostOnce) {
    const started = await deps.db.delivery.updateMany({
      where: { id: delivery.id, sendStartedAt: null, status: { in: ["planned", "queued"] } },
      data: { sendStartedAt: now },
    });
    // another process took this Delivery between our read and now: it is theirs to send
    if (started.count === 0) return { kind: "done-before", status: "in_flight" };
  }
  let sent: Awaited<ReturnType<Channel["send"]>>;
  try {
    sent = await withSendTimeout(channel.name, deps.sendTimeoutMs ?? SEND_TIMEOUT_MS, (options) =>
      channel.send(message, delivery.key, options),
    );
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (atMostOnce && mayHaveGoneOut(error)) {
      await recordOutcome(
        deps.db,
        [delivery.id],
        { status: "failed", reason: UNKNOWN_OUTCOME, error: text },
        now,
      );
      tell(deps, delivery, "failed");
      throw new UnrecoverableError(text);
    }
    // the provider did not take it (or takes the same key once): free to send again
    const clear = atMostOnce ? { sendStartedAt: null } : {};
    if (error instanceof RateLimitedError) {
      if (atMostOnce) await deps.db.delivery.update({ where: { id: delivery.id }, data: clear });
      throw error;
    }
    if (error instanceof PermanentSendError || lastAttempt) {
      const reason = error instanceof PermanentSendError ? "rejected" : "retries_exhausted";
      await recordOutcome(deps.db, [delivery.id], { status: "failed", reason, error: text }, now);
      tell(deps, delivery, "failed");
      throw new UnrecoverableError(text);
    }
    await deps.db.delivery.update({
      where: { id: delivery.id },
      data: { attempts: { increment: 1 }, error: text, ...clear },
    });
    throw error;
  }
  // the provider has it: failing to record that is never a failed send, and never a reason to send again
  await recordAnswers(
    deps.db,
    [delivery],
    [{ deliveryId: delivery.id, providerId: sent.providerId, subject: message.subject, text: message.text }],
    new Date(deps.clock.now()),
  );
  tell(deps, delivery, "sent");
  return { kind: "sent", providerId: sent.providerId };
}

/**
 * The worker of one channel's queue, at the provider's rate (`channel.limit`): single deliveries, and batches of
 * a campaign's messages (email in one call each; on other channels one send a message, each message taking one
 * send of the limiter's window, workers/send-slots.ts). A provider 429 pauses the whole queue for the provider's own
 * retry time and puts the job back without spending an attempt; a paused campaign's job waits and looks again.
 * Any other failure (5xx, timeout, network, database) is tried again after pauses doubling up to a cap, for
 * `retry.windowMs` from the first failure (workers/deliver-retry.ts); then the Delivery fails for good.
 */
export function startDeliverWorker(
  deps: DeliverDeps & {
    connection: Redis;
    prefix: string;
    concurrency: number;
    stalledIntervalMs?: number;
    /** This installation's id: a job stamped with another one is refused (workers/installation.ts). */
    installation?: string;
    /** How failed sends are retried. Defaults to {@link DELIVER_RETRY}. */
    retry?: RetryPolicy;
  },
  channel: Channel,
): Worker<DeliverJob> {
  const log = deps.log.child({ component: "deliver", channel: channel.name });
  const retry = deps.retry ?? DELIVER_RETRY;
  const worker: Worker<DeliverJob> = new Worker<DeliverJob>(
    QUEUE.deliver(channel.name),
    refuseForeignJobs(deps.installation, log, async (job: Job<DeliverJob>, token?: string) => {
      const lastAttempt = isLastTry(job, deps.clock.now(), retry);
      const data = job.data;
      try {
        const outcome =
          "batchKey" in data
            ? await deliverBatch({ ...deps, log, sendSlots }, channel, data, lastAttempt, data.recording)
            : await deliverOne({ ...deps, log }, channel, data.deliveryId, lastAttempt, data.recording);
        if (outcome.kind === "paused") {
          await job.moveToDelayed(Date.now() + PAUSED_RECHECK_MS, token);
          throw new DelayedError();
        }
        if (outcome.kind === "waiting") {
          // the shop has not confirmed a code yet: look again later, without spending an attempt
          const tries = (data.shopTries ?? 0) + 1;
          log.warn(
            { jobId: job.id, tries, error: outcome.error },
            "waiting for the shop to confirm coupon codes",
          );
          await job.updateData({ ...data, shopTries: tries });
          await job.moveToDelayed(Date.now() + shopRetryMs(tries, outcome.retryAfterMs), token);
          throw new DelayedError();
        }
        log.debug({ jobId: job.id, outcome }, "delivery processed");
        return outcome;
      } catch (error) {
        if (error instanceof UnsentMarksError) {
          // nothing of that chunk went out: the next try frees the marks (keeping any answers still to record)
          log.warn({ jobId: job.id, err: error }, "delivery attempt failed");
          await job
            .updateData({
              ...data,
              unsentMarks: error.marks,
              failingSince: data.failingSince ?? deps.clock.now(),
            })
            .catch(() => {});
          throw error;
        }
        const records =
          error instanceof RecordingPendingError
            ? error.records
            : !(error instanceof DelayedError)
              ? data.recording
              : undefined;
        if (records) {
          // the provider has it: keep its answer in the job and retry the recording alone, without spending
          // an attempt (attempts are for sending), for as long as the database stays away
          const tries = (data.recordingTries ?? 0) + 1;
          log.warn(
            { jobId: job.id, err: error, tries },
            "sent, but the database did not take the outcome: recording again later",
          );
          await job.updateData({ ...data, recording: [...records], recordingTries: tries });
          await job.moveToDelayed(Date.now() + recordBackoffMs(tries), token);
          throw new DelayedError();
        }
        if (error instanceof SendSlotsSpentError) {
          // the provider's rate is taken for longer than a batch waits in place: the queue waits that long and
          // the job goes back to it without spending an attempt
          await worker.rateLimit(error.retryInMs);
          throw Worker.RateLimitError();
        }
        if (error instanceof RateLimitedError) {
          log.warn(
            { jobId: job.id, retryAfterMs: error.retryAfterMs },
            "provider rate limit: pausing the queue",
          );
          processMetrics.providerRateLimited.inc({ channel: channel.name });
          await worker.rateLimit(error.retryAfterMs);
          throw Worker.RateLimitError();
        }
        if (!(error instanceof DelayedError))
          log.warn({ jobId: job.id, err: error, attempt: job.attemptsMade + 1 }, "delivery attempt failed");
        if (!(error instanceof DelayedError || error instanceof UnrecoverableError) && !data.failingSince) {
          // the retry window starts at the first failure; if Redis is away too, the next failure starts it
          await job.updateData({ ...data, failingSince: deps.clock.now() }).catch(() => {});
        }
        throw error;
      }
    }),
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: Math.min(deps.concurrency, channel.limit.max),
      limiter: { max: channel.limit.max, duration: channel.limit.durationMs },
      ...stallOptions(deps.stalledIntervalMs),
      ...JOB_RETENTION,
      // the pause before a failed job's next try (jobs queued with backoff type DELIVER_BACKOFF)
      settings: { backoffStrategy: (failures: number) => retryDelayMs(failures, retry) },
    },
  );
  // a batch job's messages each take one send of the provider's rate, evenly spaced across every process
  const limiterKey = worker.keys.limiter ?? `${deps.prefix}:${QUEUE.deliver(channel.name)}:limiter`;
  const sendSlots = redisSendSlots(deps.connection, limiterKey, channel.limit);
  worker.on("error", (error) => log.error({ err: error }, "deliver worker error"));
  observeSends(worker, channel.name);
  return worker;
}
