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
import { answerHitsOfConversation } from "../listening/actions.ts";
import { type Acting, type ActionResult, markReplied } from "./actions.ts";
import { type Collision, findCollision, type Seen } from "./collision.ts";
import { whileReplying } from "./reply-lock.ts";

/**
 * What {@link replyAsStaff} did: queued (or found queued), skipped, or refused because of a collision. A new
 * reply names the public posts of the conversation it answered on the listening desk (their Interaction ids).
 */
export type StaffReplyOutcome =
  | (StaffReplyResult & { answeredHits?: string[] })
  | { kind: "collision"; collision: Collision };

/** A reply as the console's form sends it. */
export interface StaffReplyForm {
  conversationId: string;
  /** The form's uuid: the Delivery's key, so the same form sent twice is one message. */
  formId: string;
  text: string;
  /** What the page showed; without it (a form from before this check) nothing is checked. */
  seen?: Seen;
  /** "Send anyway": send even though someone replied or the customer wrote since `seen`. */
  force?: boolean;
}

/**
 * Sends a staff reply through the channel the customer used: a transactional Delivery keyed by the reply
 * form's id (`r/staff/<uuid>`: the same form sent twice is one message), queued on `deliver-<channel>`. The
 * first reply sets `firstReplyAt`; an unassigned conversation goes to whoever answers; the conversation's
 * public posts waiting on the listening desk become answered. Audited as `conversation.reply` (`forced: true`
 * for "send anyway").
 *
 * Unless forced, a reply is refused (`collision`, nothing queued, nothing audited) when, since the page's
 * `seen`, another staff member replied or the customer wrote something the page did not show. A form whose
 * reply is already queued is never refused: that is the same message sent again.
 */
export async function replyAsStaff(
  deps: ReplyDeps,
  reply: StaffReplyForm,
  acting: Acting,
): Promise<StaffReplyOutcome> {
  const key = replyKey("staff", reply.formId);
  const outcome = await whileReplying(
    deps.queues.connection,
    deps.queues.prefix,
    reply.conversationId,
    async (): Promise<StaffReplyOutcome> => {
      if (reply.seen && !reply.force && !(await isQueued(deps.db, key))) {
        const collision = await findCollision(deps.db, reply.conversationId, reply.seen, acting.staffUserId);
        if (collision) return { kind: "collision", collision };
      }
      return queueStaffReply(deps, {
        key,
        conversationId: reply.conversationId,
        staffUserId: acting.staffUserId,
        text: reply.text,
      });
    },
  );
  if (outcome.kind !== "queued" || outcome.duplicate) return outcome;
  await markReplied(deps.db, reply.conversationId, acting);
  // a public mention waiting on the listening desk is answered by a reply in its conversation too
  const answeredHits = await answerHitsOfConversation(
    deps.db,
    reply.conversationId,
    outcome.deliveryId,
    acting,
  );
  await recordAudit(deps.db, {
    staffUserId: acting.staffUserId,
    action: "conversation.reply",
    targetType: "Conversation",
    targetId: reply.conversationId,
    data: {
      deliveryId: outcome.deliveryId,
      length: reply.text.length,
      ...(reply.force && { forced: true }),
    },
    at: acting.now,
  });
  return { ...outcome, answeredHits };
}

async function isQueued(db: Db, key: string): Promise<boolean> {
  return (await db.delivery.count({ where: { key } })) > 0;
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
