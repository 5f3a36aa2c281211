import { type ChannelName, isSendingChannel } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { replyKey } from "../../lib/ids.ts";
import { queuePostReply, type ReplyDeps } from "../../workers/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { type Acting, isAssignable } from "../inbox/actions.ts";

/** A change to a hit: done, or why not (the hit or the assignee is unknown). */
export type HitActionResult = { kind: "done" } | { kind: "not_found" } | { kind: "invalid"; field: string };

/** How staff answer a post: a public reply under it, or a direct message to its author. */
export type ReplyMode = "public" | "dm";

/** A reply as the desk's form sends it. */
export interface HitReplyForm {
  /** The form's uuid: the Delivery's key, so the same form sent twice is one message. */
  formId: string;
  text: string;
  mode: ReplyMode;
}

/** What {@link replyToHit} did. */
export type HitReplyOutcome =
  | { kind: "queued"; deliveryId: string; status: string; duplicate: boolean }
  | { kind: "not_found" }
  /** The hit's channel cannot send, or its author cannot be addressed that way (no post id, no user id). */
  | { kind: "no_target" };

/** The statuses staff set by hand; "answered" comes from a reply. */
export type SettableStatus = "new" | "ignored" | "escalated";

interface Hit {
  id: string;
  channel: ChannelName;
  externalId: string | null;
  conversationId: string | null;
  customerId: string;
  locale: string;
  sentAt: Date;
  /** The author's user id on the platform: the post's `author_id`, else their identity there. */
  authorId: string | undefined;
}

async function findHit(db: Db, id: string): Promise<Hit | undefined> {
  const hit = await db.listeningHit.findUnique({
    where: { interactionId: id },
    select: {
      channel: true,
      interaction: {
        select: {
          id: true,
          externalId: true,
          conversationId: true,
          customerId: true,
          sentAt: true,
          raw: true,
          customer: { select: { locale: true } },
        },
      },
    },
  });
  if (!hit) return undefined;
  const { interaction } = hit;
  const raw = interaction.raw as { tweet?: { author_id?: unknown } } | null;
  let authorId = typeof raw?.tweet?.author_id === "string" ? raw.tweet.author_id : undefined;
  if (!authorId) {
    const identity = await db.identity.findFirst({
      where: { customerId: interaction.customerId, channel: hit.channel },
      select: { externalId: true },
    });
    authorId = identity?.externalId;
  }
  return {
    id: interaction.id,
    channel: hit.channel,
    externalId: interaction.externalId,
    conversationId: interaction.conversationId,
    customerId: interaction.customerId,
    locale: interaction.customer.locale,
    sentAt: interaction.sentAt,
    authorId,
  };
}

/**
 * Answers a hit through its channel, as a Delivery on `deliver-<channel>` keyed by the form's id: publicly, a
 * reply post under the post (`in_reply_to_tweet_id` on X), or by DM to its author. The hit becomes "answered"
 * (the first answer's time is kept) and, if nobody had it, the answerer's. Audited as `listening.reply`.
 */
export async function replyToHit(
  deps: ReplyDeps,
  id: string,
  form: HitReplyForm,
  acting: Acting,
): Promise<HitReplyOutcome> {
  const hit = await findHit(deps.db, id);
  if (!hit) return { kind: "not_found" };
  if (!isSendingChannel(hit.channel)) return { kind: "no_target" };
  const to = form.mode === "public" ? hit.externalId : hit.authorId && `dm:${hit.authorId}`;
  // a DM is X's "dm:<user id>" address; other channels have no separate private thread to a post's author
  if (!to || (form.mode === "dm" && hit.channel !== "x")) return { kind: "no_target" };
  const queued = await queuePostReply(deps, {
    key: replyKey("staff", form.formId),
    customerId: hit.customerId,
    conversationId: hit.conversationId,
    channel: hit.channel,
    to,
    ...(form.mode === "public" && { replyTo: to }),
    text: form.text,
    locale: hit.locale,
    staffUserId: acting.staffUserId,
  });
  if (queued.duplicate) return { kind: "queued", ...queued };
  await deps.db.$transaction(async (tx) => {
    await tx.listeningHit.updateMany({
      where: { interactionId: hit.id, answeredAt: null },
      data: { answeredAt: acting.now, answeredById: acting.staffUserId, answerDeliveryId: queued.deliveryId },
    });
    await tx.listeningHit.updateMany({ where: { interactionId: hit.id }, data: { status: "answered" } });
    await tx.listeningHit.updateMany({
      where: { interactionId: hit.id, assigneeId: null },
      data: { assigneeId: acting.staffUserId },
    });
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action: "listening.reply",
      targetType: "ListeningHit",
      targetId: hit.id,
      data: { mode: form.mode, deliveryId: queued.deliveryId, length: form.text.length },
      at: acting.now,
    });
  });
  return { kind: "queued", ...queued };
}

/**
 * The inbox conversation for a hit's author: the post's own, else their latest open one on the channel, else
 * a new one whose thread is the post (a reply from the inbox answers under it). A post outside any
 * conversation (a keyword hit) is put into it, so the conversation shows what it is about. Audited as
 * `listening.open`.
 */
export async function openHitConversation(
  db: Db,
  id: string,
  acting: Acting,
): Promise<{ kind: "opened"; conversationId: string; created: boolean } | { kind: "not_found" }> {
  const hit = await findHit(db, id);
  if (!hit) return { kind: "not_found" };
  return db.$transaction(async (tx) => {
    let conversationId = hit.conversationId;
    let created = false;
    if (!conversationId) {
      const open = await tx.conversation.findFirst({
        where: { customerId: hit.customerId, channel: hit.channel, status: { not: "closed" } },
        orderBy: { lastMessageAt: "desc" },
        select: { id: true },
      });
      conversationId =
        open?.id ??
        (
          await tx.conversation.create({
            data: {
              customerId: hit.customerId,
              channel: hit.channel,
              threadRef: hit.externalId,
              lastMessageAt: hit.sentAt,
              assigneeId: acting.staffUserId,
            },
            select: { id: true },
          })
        ).id;
      created = !open;
      await tx.interaction.update({ where: { id: hit.id }, data: { conversationId } });
    }
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action: "listening.open",
      targetType: "ListeningHit",
      targetId: hit.id,
      data: { conversationId, created },
      at: acting.now,
    });
    return { kind: "opened" as const, conversationId, created };
  });
}

/** Assigns a hit to an agent or admin, or to nobody (null). Audited as `listening.assign`. */
export async function assignHit(
  db: Db,
  id: string,
  assigneeId: string | null,
  acting: Acting,
): Promise<HitActionResult> {
  if (assigneeId && !(await isAssignable(db, assigneeId))) return { kind: "invalid", field: "assignee" };
  return change(db, id, acting, "listening.assign", { assigneeId }, { assigneeId });
}

/** Ignores or escalates a hit, or puts it back to new. Audited as `listening.status`. */
export async function setHitStatus(
  db: Db,
  id: string,
  status: SettableStatus,
  acting: Acting,
): Promise<HitActionResult> {
  return change(db, id, acting, "listening.status", { status }, { status });
}

async function change(
  db: Db,
  id: string,
  acting: Acting,
  action: string,
  data: Parameters<Db["listeningHit"]["updateMany"]>[0]["data"],
  audit: Record<string, string | null>,
): Promise<HitActionResult> {
  return db.$transaction(async (tx) => {
    const updated = await tx.listeningHit.updateMany({ where: { interactionId: id }, data });
    if (updated.count === 0) return { kind: "not_found" as const };
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action,
      targetType: "ListeningHit",
      targetId: id,
      data: audit,
      at: acting.now,
    });
    return { kind: "done" as const };
  });
}

/**
 * A staff reply in a conversation (the inbox) answers the public posts of that conversation still waiting —
 * new or escalated, posted before the reply: they become answered now, by that staff member (the first answer
 * is kept), so the desk and its dashboard figures count answers given from the inbox too. Returns their ids.
 */
export async function answerHitsOfConversation(
  db: Db,
  conversationId: string,
  deliveryId: string,
  acting: Acting,
): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    UPDATE "ListeningHit" h SET status = 'answered',
      "answeredAt" = COALESCE(h."answeredAt", ${acting.now}),
      "answeredById" = COALESCE(h."answeredById", ${acting.staffUserId}::uuid),
      "answerDeliveryId" = COALESCE(h."answerDeliveryId", ${deliveryId}::uuid),
      "assigneeId" = COALESCE(h."assigneeId", ${acting.staffUserId}::uuid),
      "updatedAt" = ${acting.now}
    FROM "Interaction" i
    WHERE i.id = h."interactionId" AND i."conversationId" = ${conversationId}::uuid
      AND h.status IN ('new', 'escalated') AND h."sentAt" <= ${acting.now}
    RETURNING h."interactionId" AS id`);
  return rows.map((row) => row.id);
}
