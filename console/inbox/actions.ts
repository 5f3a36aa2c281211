import type { Db } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";

/** Who acts, and when by the console's clock. */
export interface Acting {
  staffUserId: string;
  now: Date;
}

/** A change to a conversation: done, or why not (the conversation or the assignee is unknown). */
export type ActionResult = { kind: "done" } | { kind: "not_found" } | { kind: "invalid"; field: string };

/** Sets a conversation's unread count to 0 (the staff member opened it). Returns whether it changed. */
export async function markRead(db: Db, conversationId: string): Promise<boolean> {
  const read = await db.conversation.updateMany({
    where: { id: conversationId, unreadCount: { gt: 0 } },
    data: { unreadCount: 0 },
  });
  return read.count > 0;
}

/** Who can be assigned conversations and listening hits: agents and admins whose account is active. */
const ASSIGNABLE = { role: { in: ["agent" as const, "admin" as const] }, disabledAt: null };

/** Whether a staff member can be assigned work (a conversation, a listening hit). */
export async function isAssignable(db: Db, staffUserId: string): Promise<boolean> {
  return (await db.staffUser.count({ where: { id: staffUserId, ...ASSIGNABLE } })) > 0;
}

/** The staff who can be assigned conversations: agents and admins whose account is active. */
export async function assignableStaff(db: Db): Promise<Array<{ id: string; name: string }>> {
  const staff = await db.staffUser.findMany({
    where: ASSIGNABLE,
    orderBy: [{ name: "asc" }, { email: "asc" }],
    select: { id: true, name: true, email: true },
  });
  return staff.map((s) => ({ id: s.id, name: s.name || s.email }));
}

/** Assigns a conversation to an agent or admin, or to nobody (null). Audited as `conversation.assign`. */
export async function assignConversation(
  db: Db,
  conversationId: string,
  assigneeId: string | null,
  acting: Acting,
): Promise<ActionResult> {
  if (assigneeId && !(await isAssignable(db, assigneeId))) return { kind: "invalid", field: "assignee" };
  return change(db, conversationId, acting, "conversation.assign", { assigneeId }, { assigneeId });
}

/**
 * Snoozes a conversation until a moment (null wakes it now): it leaves the open and pending lists until then.
 * A closed conversation is not snoozed (`invalid`): it is in no list to leave. Audited as `conversation.snooze`.
 */
export async function snoozeConversation(
  db: Db,
  conversationId: string,
  until: Date | null,
  acting: Acting,
): Promise<ActionResult> {
  if (until && until <= acting.now) return { kind: "invalid", field: "until" };
  if (until) {
    const conversation = await db.conversation.findUnique({
      where: { id: conversationId },
      select: { status: true },
    });
    if (conversation?.status === "closed") return { kind: "invalid", field: "status" };
  }
  return change(
    db,
    conversationId,
    acting,
    "conversation.snooze",
    { snoozedUntil: until },
    { until: until?.toISOString() ?? null },
  );
}

/** Reopens a conversation or marks it pending (waiting on the customer). Audited as `conversation.status`. */
export async function setConversationStatus(
  db: Db,
  conversationId: string,
  status: "open" | "pending",
  acting: Acting,
): Promise<ActionResult> {
  return change(
    db,
    conversationId,
    acting,
    "conversation.status",
    { status, closedAt: null, ...(status === "open" && { snoozedUntil: null }) },
    { status },
  );
}

/**
 * Adds an internal note: an Interaction the customer never sees (internal, author staff, no Delivery). The
 * note's id comes from the form, so sending the same form twice adds it once. Audited as `conversation.note`.
 */
export async function addNote(
  db: Db,
  conversationId: string,
  note: { id: string; text: string },
  acting: Acting,
): Promise<{ kind: "added"; interactionId: string; duplicate: boolean } | { kind: "not_found" }> {
  const conversation = await db.conversation.findUnique({
    where: { id: conversationId },
    select: { customerId: true, channel: true },
  });
  if (!conversation) return { kind: "not_found" };
  const externalId = `note/${note.id}`;
  const created = await db.$transaction(async (tx) => {
    const added = await tx.interaction.createMany({
      data: [
        {
          customerId: conversation.customerId,
          conversationId,
          channel: conversation.channel,
          direction: "outbound",
          author: "staff",
          staffUserId: acting.staffUserId,
          externalId,
          text: note.text,
          sentAt: acting.now,
          internal: true,
        },
      ],
      skipDuplicates: true,
    });
    if (added.count > 0) {
      await recordAudit(tx, {
        staffUserId: acting.staffUserId,
        action: "conversation.note",
        targetType: "Conversation",
        targetId: conversationId,
        data: { length: note.text.length },
        at: acting.now,
      });
    }
    return added.count > 0;
  });
  const interaction = await db.interaction.findUniqueOrThrow({
    where: { channel_externalId: { channel: conversation.channel, externalId } },
    select: { id: true },
  });
  return { kind: "added", interactionId: interaction.id, duplicate: !created };
}

/** After a staff reply: the first reply's time, and the bot stays silent while a person handles it. */
export async function markReplied(db: Db, conversationId: string, acting: Acting): Promise<void> {
  await db.$transaction([
    db.conversation.updateMany({
      where: { id: conversationId, firstReplyAt: null },
      data: { firstReplyAt: acting.now },
    }),
    db.conversation.updateMany({
      where: { id: conversationId },
      data: { handedOver: true, unreadCount: 0 },
    }),
    // whoever answers an unassigned conversation takes it
    db.conversation.updateMany({
      where: { id: conversationId, assigneeId: null },
      data: { assigneeId: acting.staffUserId },
    }),
  ]);
}

async function change(
  db: Db,
  conversationId: string,
  acting: Acting,
  action: string,
  data: Parameters<Db["conversation"]["updateMany"]>[0]["data"],
  audit: Record<string, string | null>,
): Promise<ActionResult> {
  return db.$transaction(async (tx) => {
    const updated = await tx.conversation.updateMany({ where: { id: conversationId }, data });
    if (updated.count === 0) return { kind: "not_found" as const };
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action,
      targetType: "Conversation",
      targetId: conversationId,
      data: audit,
      at: acting.now,
    });
    return { kind: "done" as const };
  });
}
