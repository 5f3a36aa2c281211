import { type Db, Prisma } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import type { Acting, ActionResult } from "./actions.ts";
import { LABEL, normalLabel } from "./filters.ts";

/** Most labels one conversation carries. */
export const MAX_LABELS = 20;

/** Labels offered by the inbox's label filter: at most this many. */
const FILTER_LABELS = 200;

/** A label as typed, as stored ("  Refund " → "refund"); undefined for one that cannot be a label. */
export function parseLabel(value: unknown): string | undefined {
  const label = normalLabel(value);
  return typeof label === "string" && LABEL.test(label) ? label : undefined;
}

/**
 * Adds a label to a conversation (nothing when it has it already), and its name to ConversationLabel. Audited
 * as `conversation.label` with `added`; `invalid` when the conversation carries {@link MAX_LABELS} already.
 */
export function addLabel(
  db: Db,
  conversationId: string,
  label: string,
  acting: Acting,
): Promise<ActionResult> {
  return changeLabels(
    db,
    conversationId,
    acting,
    (labels) => {
      if (labels.includes(label)) return labels;
      if (labels.length >= MAX_LABELS) return "full";
      return [...labels, label];
    },
    { added: label },
  );
}

/** Takes a label off a conversation (nothing when it does not have it). Audited as `conversation.label`. */
export function removeLabel(
  db: Db,
  conversationId: string,
  label: string,
  acting: Acting,
): Promise<ActionResult> {
  return changeLabels(db, conversationId, acting, (labels) => labels.filter((l) => l !== label), {
    removed: label,
  });
}

/** Changes a conversation's labels under a row lock; audited only when they changed. */
function changeLabels(
  db: Db,
  conversationId: string,
  acting: Acting,
  change: (labels: string[]) => string[] | "full",
  data: { added: string } | { removed: string },
): Promise<ActionResult> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ labels: string[] | null }>>(Prisma.sql`
      SELECT labels FROM "Conversation" WHERE id = ${conversationId}::uuid FOR UPDATE`);
    if (!rows[0]) return { kind: "not_found" as const };
    const labels = rows[0].labels ?? [];
    const changed = change(labels);
    if (changed === "full") return { kind: "invalid" as const, field: "label" };
    if (changed.length === labels.length && changed.every((l, i) => l === labels[i]))
      return { kind: "done" as const };
    await tx.conversation.update({ where: { id: conversationId }, data: { labels: changed } });
    if ("added" in data)
      await tx.conversationLabel.createMany({ data: [{ name: data.added }], skipDuplicates: true });
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action: "conversation.label",
      targetType: "Conversation",
      targetId: conversationId,
      data,
      at: acting.now,
    });
    return { kind: "done" as const };
  });
}

/**
 * The labels conversations have carried (ConversationLabel, written as a label is first added), alphabetically:
 * the inbox's label filter offers these. A small table of its own, because reading them off every
 * conversation (`unnest(labels)`) costs a scan of the whole Conversation table on each page.
 */
export async function labelsInUse(db: Db): Promise<string[]> {
  const rows = await db.conversationLabel.findMany({
    orderBy: { name: "asc" },
    take: FILTER_LABELS,
    select: { name: true },
  });
  return rows.map((r) => r.name);
}
