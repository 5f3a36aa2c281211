import type { Db } from "../../lib/db/index.ts";
import { replyKey } from "../../lib/ids.ts";
import {
  queueStaffReply,
  type ReplyDeps,
  type RetryResult,
  retryDelivery,
  type StaffReplyResult,
} from "../../workers/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { type Acting, type ActionResult, markReplied } from "./actions.ts";

/**
 * Sends a staff reply through the channel the customer used: a transactional Delivery keyed by the reply
 * form's id (`r/staff/<uuid>`: the same form sent twice is one message), queued on `deliver-<channel>`. The
 * first reply sets `firstReplyAt`; an unassigned conversation goes to whoever answers. Audited as
 * `conversation.reply`.
 */
export async function replyAsStaff(
  deps: ReplyDeps,
  reply: { conversationId: string; formId: string; text: string },
  acting: Acting,
): Promise<StaffReplyResult> {
  const result = await queueStaffReply(deps, {
    key: replyKey("staff", reply.formId),
    conversationId: reply.conversationId,
    staffUserId: acting.staffUserId,
    text: reply.text,
  });
  if (result.kind !== "queued" || result.duplicate) return result;
  await markReplied(deps.db, reply.conversationId, acting);
  await recordAudit(deps.db, {
    staffUserId: acting.staffUserId,
    action: "conversation.reply",
    targetType: "Conversation",
    targetId: reply.conversationId,
    data: { deliveryId: result.deliveryId, length: reply.text.length },
    at: acting.now,
  });
  return result;
}

/** Sends a failed outbound message of a conversation again. Audited as `delivery.retry`. */
export async function retryConversationDelivery(
  deps: ReplyDeps,
  deliveryId: string,
  acting: Acting,
): Promise<RetryResult & { conversationId?: string }> {
  const delivery = await deps.db.delivery.findUnique({
    where: { id: deliveryId },
    select: { conversationId: true },
  });
  if (!delivery?.conversationId) return { kind: "missing" };
  const result = await retryDelivery(deps, deliveryId);
  if (result.kind === "queued") {
    await recordAudit(deps.db, {
      staffUserId: acting.staffUserId,
      action: "delivery.retry",
      targetType: "Delivery",
      targetId: deliveryId,
      data: { conversationId: delivery.conversationId },
      at: acting.now,
    });
  }
  return { ...result, conversationId: delivery.conversationId };
}

/**
 * Closes a conversation through `close` (bots/survey.ts's closeConversation, which asks the customer for a
 * rating), or, without one, by setting its status. Audited as `conversation.close`.
 */
export async function closeAsStaff(
  db: Db,
  conversationId: string,
  close:
    | ((conversationId: string, options: { survey: boolean; staffUserId: string }) => Promise<void>)
    | undefined,
  acting: Acting,
): Promise<ActionResult> {
  const conversation = await db.conversation.findUnique({
    where: { id: conversationId },
    select: { status: true },
  });
  if (!conversation) return { kind: "not_found" };
  if (conversation.status !== "closed") {
    if (close) await close(conversationId, { survey: true, staffUserId: acting.staffUserId });
    else
      await db.conversation.update({
        where: { id: conversationId },
        data: { status: "closed", closedAt: acting.now, handedOver: false, unreadCount: 0 },
      });
  }
  await recordAudit(db, {
    staffUserId: acting.staffUserId,
    action: "conversation.close",
    targetType: "Conversation",
    targetId: conversationId,
    data: { survey: Boolean(close) && conversation.status !== "closed" },
    at: acting.now,
  });
  return { kind: "done" };
}
