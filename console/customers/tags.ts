import type { Db } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { isUuid } from "./ids.ts";

/** How many tags one customer may carry: enough to describe, few enough to read on the profile. */
export const MAX_TAGS = 20;

/** A tag as stored: lower-case letters (any script), digits, `-` and `_`, up to 32 characters. */
const TAG = /^[\p{Ll}\p{Lo}\p{N}][\p{Ll}\p{Lo}\p{N}_-]{0,31}$/u;

/**
 * The tags a staff member typed (comma-separated, any case; spaces inside a tag become `-`), lower-cased and
 * without repeats; `invalid` when one is not a tag (too long, punctuation), so the form can say which.
 */
export function parseTags(typed: string): { kind: "ok"; tags: string[] } | { kind: "invalid"; tag: string } {
  const tags: string[] = [];
  for (const part of typed.split(",")) {
    const tag = part.trim().toLowerCase().replace(/\s+/g, "-");
    if (tag === "") continue;
    if (!TAG.test(tag)) return { kind: "invalid", tag: part.trim().slice(0, 40) };
    if (!tags.includes(tag)) tags.push(tag);
  }
  return { kind: "ok", tags };
}

/** What a change of tags did: the tags now, or why nothing changed. */
export type TagChange =
  | { kind: "changed"; tags: string[] }
  | { kind: "unchanged" }
  | { kind: "too_many" }
  | { kind: "not_found" };

/**
 * Adds and removes tags on a live customer, in one transaction with the audit entry `customer.tags`
 * (`{ added, removed }`, only what really changed). The row is locked so two staff members tagging at once
 * both land. Tags are kept sorted.
 */
export async function changeTags(
  db: Db,
  customerId: string,
  change: { add?: readonly string[]; remove?: readonly string[] },
  actor: { staffUserId: string; at: Date },
): Promise<TagChange> {
  if (!isUuid(customerId)) return { kind: "not_found" };
  const id = customerId.toLowerCase();
  return db.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<Array<{ tags: string[] | null }>>`
      SELECT tags FROM "Customer" WHERE id = ${id}::uuid AND "mergedIntoId" IS NULL FOR UPDATE`;
    if (!row) return { kind: "not_found" } as const;
    const before = row.tags ?? [];
    const removed = before.filter((tag) => change.remove?.includes(tag));
    const added = (change.add ?? []).filter((tag) => !before.includes(tag) && !removed.includes(tag));
    if (added.length === 0 && removed.length === 0) return { kind: "unchanged" } as const;
    const tags = [...before.filter((tag) => !removed.includes(tag)), ...added].sort();
    if (added.length > 0 && tags.length > MAX_TAGS) return { kind: "too_many" } as const;
    await tx.customer.update({ where: { id }, data: { tags } });
    await recordAudit(tx, {
      staffUserId: actor.staffUserId,
      action: "customer.tags",
      targetType: "Customer",
      targetId: id,
      data: { added, removed },
      at: actor.at,
    });
    return { kind: "changed", tags } as const;
  });
}
