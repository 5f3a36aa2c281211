import type { Db } from "../lib/db/index.ts";
import { recordAudit } from "./auth/audit.ts";

/** What retrying a kept item did (the retry itself runs in bots/, wired by `cli/app.ts`). */
export type FailureRetryOutcome =
  | { kind: "resolved" }
  | { kind: "failed"; error: string }
  | { kind: "not_found" }
  /** No platform in this process retries this channel (it is not configured here). */
  | { kind: "no_handler"; channel: string };

/** An open dead letter as the failures page lists it. */
export interface OpenFailure {
  id: string;
  channel: string;
  sourceKey: string;
  error: string;
  /** The payload's first characters. */
  excerpt: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
  count: number;
}

/** Characters of a payload shown on the page. */
const EXCERPT_CHARS = 400;
const OPEN = { resolvedAt: null, discardedAt: null };

/** Open `InboundFailure` rows (neither resolved nor discarded), the most recently failing first. */
export async function listOpenFailures(db: Db, limit = 100): Promise<OpenFailure[]> {
  const rows = await db.inboundFailure.findMany({
    where: OPEN,
    orderBy: [{ lastSeenAt: "desc" }, { id: "asc" }],
    take: limit,
  });
  return rows.map((row) => ({
    id: row.id,
    channel: row.channel,
    sourceKey: row.sourceKey,
    error: row.error,
    excerpt: row.payload.length > EXCERPT_CHARS ? `${row.payload.slice(0, EXCERPT_CHARS)}…` : row.payload,
    firstSeenAt: row.firstSeenAt,
    lastSeenAt: row.lastSeenAt,
    count: row.count,
  }));
}

/** How many inbound items are kept and still open. */
export function countOpenFailures(db: Db): Promise<number> {
  return db.inboundFailure.count({ where: OPEN });
}

/**
 * Hides an open failure for good, audited as `inbound_failure.discard`. Returns false when none is open with
 * this id.
 */
export async function discardFailure(
  db: Db,
  id: string,
  acting: { staffUserId: string; now: Date },
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.inboundFailure.updateMany({
      where: { id, ...OPEN },
      data: { discardedAt: acting.now, discardedBy: acting.staffUserId },
    });
    if (count === 0) return false;
    await recordAudit(tx, {
      staffUserId: acting.staffUserId,
      action: "inbound_failure.discard",
      targetType: "InboundFailure",
      targetId: id,
      at: acting.now,
    });
    return true;
  });
}
