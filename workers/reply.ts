import type { BotReply } from "../bots/index.ts";
import { type ChannelName, isSendingChannel, type SendingChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db, Prisma } from "../lib/db/index.ts";
import { enqueueDelivery } from "./deliver-queue.ts";
import { QUEUE, type QueueContext, queueFor } from "./queues.ts";

/** What queueing a reply needs. */
export interface ReplyDeps {
  db: Db;
  queues: QueueContext;
  clock: Clock;
}

/** Who wrote an outbound message, kept in the Delivery's data for the Interaction it becomes once sent. */
interface Authorship {
  author?: "staff";
  staffUserId?: string;
}

/**
 * Queues a bot reply (auto-reply, command answer, survey question) as a transactional Delivery: written
 * under its key first, then enqueued on the channel's queue. The same reply asked twice is one message.
 */
export async function queueReply(deps: ReplyDeps, reply: BotReply): Promise<void> {
  await queueOutbound(deps, reply, {});
}

/** A reply a staff member writes in the console. */
export interface StaffReply {
  /** Idempotency key, derived from the staff action: `replyKey("staff", <uuid of the reply form>)`. */
  key: string;
  conversationId: string;
  staffUserId: string;
  text: string;
}

/** What {@link queueStaffReply} did: queued (or found already queued under its key), or why not. */
export type StaffReplyResult =
  | {
      kind: "queued";
      deliveryId: string;
      /** The Delivery's status now: "queued", or later for a key used before. */
      status: string;
      /** True when the key was used before: nothing new was queued. */
      duplicate: boolean;
    }
  | { kind: "skipped"; reason: "no_conversation" | "no_thread" };

/**
 * Queues a staff member's reply on the channel the customer used, the way the bot answers: a transactional
 * Delivery to the conversation's threadRef (which every inbound message keeps current), through the same
 * `deliver-<channel>` queue as campaigns. Once sent, its Interaction says author "staff" and who wrote it.
 */
export async function queueStaffReply(deps: ReplyDeps, reply: StaffReply): Promise<StaffReplyResult> {
  const conversation = await deps.db.conversation.findUnique({
    where: { id: reply.conversationId },
    select: {
      id: true,
      customerId: true,
      channel: true,
      threadRef: true,
      customer: { select: { locale: true } },
    },
  });
  if (!conversation) return { kind: "skipped", reason: "no_conversation" };
  const botReply = replyInConversation(conversation, {
    key: reply.key,
    text: reply.text,
    locale: conversation.customer.locale,
  });
  if (!botReply) return { kind: "skipped", reason: "no_thread" };
  const delivery = await queueOutbound(deps, botReply, { author: "staff", staffUserId: reply.staffUserId });
  return { kind: "queued", deliveryId: delivery.id, status: delivery.status, duplicate: delivery.duplicate };
}

/** A staff member's answer to a public post of the listening desk: a reply post under it, or a DM to its author. */
export interface StaffPostReply {
  /** Idempotency key: `replyKey("staff", <uuid of the reply form>)`. */
  key: string;
  customerId: string;
  /** The conversation the post is in, if any: the sent message shows there too. */
  conversationId: string | null;
  channel: SendingChannelName;
  /** A post id (the reply goes under `replyTo`), or "dm:<user id>". */
  to: string;
  replyTo?: string;
  text: string;
  locale: string;
  staffUserId: string;
}

/**
 * Queues a staff member's answer to a public post as a transactional Delivery on `deliver-<channel>`, written
 * under its key first (the same form sent twice is one message). Once sent, its Interaction is the staff
 * member's, in the customer's history (and in the post's conversation, if it has one).
 */
export async function queuePostReply(
  deps: ReplyDeps,
  reply: StaffPostReply,
): Promise<{ deliveryId: string; status: string; duplicate: boolean }> {
  const { staffUserId, ...message } = reply;
  const delivery = await queueOutbound(deps, message, { author: "staff", staffUserId });
  return { deliveryId: delivery.id, status: delivery.status, duplicate: delivery.duplicate };
}

/**
 * A reply into a stored conversation, addressed as the responder and the survey address theirs: to the
 * conversation's threadRef (Telegram chat, Discord channel, X post or "dm:<user>", web chat visitor), which
 * the channel's `send` understands. Undefined for a conversation that has no thread to answer in.
 */
export function replyInConversation(
  conversation: { id: string; customerId: string; channel: ChannelName; threadRef: string | null },
  message: { key: string; text: string; locale: string },
): BotReply | undefined {
  // a call (phone) is recorded only: nothing can be sent back on it
  if (!conversation.threadRef || !isSendingChannel(conversation.channel)) return undefined;
  return {
    ...message,
    customerId: conversation.customerId,
    conversationId: conversation.id,
    channel: conversation.channel,
    to: conversation.threadRef,
  };
}

/** What {@link retryDelivery} did. */
export type RetryResult = { kind: "queued" } | { kind: "not_failed"; status: string } | { kind: "missing" };

/**
 * Sends a failed Delivery again: back to planned with its error cleared, its old job (kept for days after
 * failing, under the same id) removed, and queued afresh with a full set of attempts. Only a failed Delivery
 * is retried, so two clicks queue it once. A send of unknown outcome (`sendStartedAt`) is forgotten: a person
 * chose to send it again.
 */
export async function retryDelivery(deps: ReplyDeps, deliveryId: string): Promise<RetryResult> {
  const now = new Date(deps.clock.now());
  const reset = await deps.db.delivery.updateMany({
    where: { id: deliveryId, status: "failed" },
    data: {
      status: "planned",
      reason: null,
      error: null,
      failedAt: null,
      sendStartedAt: null,
      scheduledAt: now,
    },
  });
  if (reset.count === 0) {
    const found = await deps.db.delivery.findUnique({ where: { id: deliveryId }, select: { status: true } });
    return found ? { kind: "not_failed", status: found.status } : { kind: "missing" };
  }
  const delivery = await deps.db.delivery.findUniqueOrThrow({ where: { id: deliveryId } });
  await queueFor(deps.queues, QUEUE.deliver(delivery.channel)).remove(delivery.key);
  await markQueued(deps, delivery, now);
  return { kind: "queued" };
}

async function queueOutbound(
  deps: ReplyDeps,
  reply: BotReply,
  authorship: Authorship,
): Promise<{ id: string; status: string; duplicate: boolean }> {
  const now = new Date(deps.clock.now());
  const data: Prisma.InputJsonObject = {
    ...(reply.data as Prisma.InputJsonObject | undefined),
    text: reply.text,
    replyTo: reply.replyTo ?? null,
    buttons: reply.buttons ?? null,
    ...authorship,
  };
  const created = await deps.db.delivery.createMany({
    data: [
      {
        key: reply.key,
        kind: "transactional",
        customerId: reply.customerId,
        conversationId: reply.conversationId,
        channel: reply.channel,
        recipient: reply.to,
        template: reply.template ?? null,
        locale: reply.locale,
        data,
        scheduledAt: now,
      },
    ],
    skipDuplicates: true,
  });
  const delivery = await deps.db.delivery.findUniqueOrThrow({ where: { key: reply.key } });
  const duplicate = created.count === 0;
  if (delivery.status !== "planned") return { id: delivery.id, status: delivery.status, duplicate };
  await markQueued(deps, delivery, now);
  return { id: delivery.id, status: "queued", duplicate };
}

async function markQueued(
  deps: ReplyDeps,
  delivery: Parameters<typeof enqueueDelivery>[1],
  now: Date,
): Promise<void> {
  await enqueueDelivery(deps.queues, delivery, deps.clock);
  await deps.db.delivery.updateMany({
    where: { id: delivery.id, status: "planned" },
    data: { status: "queued", queuedAt: now },
  });
}
