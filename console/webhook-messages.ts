import type { Db } from "../lib/db/index.ts";
import type { QueueContext } from "../workers/queues.ts";
import { enqueueWebhook } from "../workers/webhooks.ts";
import { recordAudit } from "./auth/audit.ts";
import { isUuid } from "./customers/ids.ts";
import { auditActor, type WebhookActor } from "./webhooks.ts";

/**
 * A subscription's messages and their tries, and replaying one (console/routes/webhooks.ts). Apart from
 * console/webhooks.ts so `rapport webhooks` does not load the queues (BullMQ) to start.
 */

/** A subscription's newest messages (at most `limit`), each with its tries, newest first. */
export function recentWebhookMessages(db: Db, subscriptionId: string, limit = 100) {
  return db.webhookMessage.findMany({
    where: { subscriptionId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    include: { attemptLog: { orderBy: [{ at: "desc" }, { id: "desc" }] } },
  });
}

/** What replaying a message did. */
export type ReplayOutcome = "queued" | "not_found" | "inactive";

/**
 * Sends a message again as it was (same body, same `webhook-id`, so a receiver can drop it if it has it),
 * through the queue: a failed message is pending again until the new tries end. Audited as `webhook.replay`.
 * A removed or paused subscription sends nothing, so it answers "inactive"; a message of another
 * subscription is "not_found".
 */
export async function replayWebhookMessage(
  db: Db,
  queues: QueueContext,
  target: { subscriptionId: string; messageId: string },
  actor: WebhookActor,
  at: Date,
): Promise<ReplayOutcome> {
  const { subscriptionId, messageId } = target;
  const message =
    isUuid(messageId) && isUuid(subscriptionId)
      ? await db.webhookMessage.findFirst({
          where: { id: messageId.toLowerCase(), subscriptionId: subscriptionId.toLowerCase() },
          include: { subscription: { select: { active: true, pausedAt: true } } },
        })
      : null;
  if (!message) return "not_found";
  if (!message.subscription.active || message.subscription.pausedAt) return "inactive";
  if (message.status === "failed") {
    await db.webhookMessage.update({ where: { id: message.id }, data: { status: "pending" } });
  }
  await recordAudit(db, {
    ...auditActor(actor),
    action: "webhook.replay",
    targetType: "WebhookMessage",
    targetId: message.id,
    data: { subscriptionId: message.subscriptionId, msgId: message.msgId, type: message.type, by: actor.by },
    at,
  });
  await enqueueWebhook(queues, message.id, true);
  return "queued";
}
