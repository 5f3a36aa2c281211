import type { Db } from "../../lib/db/index.ts";
import { isUuid } from "./ids.ts";

/** One of the two customers on the merge confirmation, with enough to tell them apart. */
export interface MergeSide {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string;
  createdAt: Date;
  identities: Array<{ channel: string; externalId: string; handle: string | null }>;
  orders: number;
  conversations: number;
}

/** What merging two customers would do, or why it cannot. */
export type MergePlan =
  | { kind: "ready"; survivor: MergeSide; merged: MergeSide }
  | { kind: "not_found"; which: "customer" | "other" }
  | { kind: "same" };

/** The live (not merged-away) customer an id or email address names. */
export async function findLiveCustomer(db: Db, ref: string): Promise<string | undefined> {
  const value = ref.trim().toLowerCase();
  if (!value) return undefined;
  const where = isUuid(value) ? { id: value } : { email: value };
  const row = await db.customer.findFirst({ where: { ...where, mergedIntoId: null }, select: { id: true } });
  return row?.id;
}

async function side(db: Db, id: string): Promise<MergeSide | undefined> {
  const row = await db.customer.findFirst({
    where: { id, mergedIntoId: null },
    select: {
      id: true,
      name: true,
      email: true,
      phone: true,
      locale: true,
      createdAt: true,
      identities: { select: { channel: true, externalId: true, handle: true }, orderBy: { channel: "asc" } },
      _count: { select: { conversations: true } },
    },
  });
  if (!row) return undefined;
  const orders = await db.event.count({ where: { customerId: id, type: "purchase" } });
  const { _count, ...rest } = row;
  return { ...rest, orders, conversations: _count.conversations };
}

/**
 * The two customers a merge would join, and which one survives: the older (by creation, then id), the rule
 * bots/merge.ts applies whichever way round it is asked, so the confirmation says what will really happen.
 */
export async function planMerge(db: Db, customerId: string, otherRef: string): Promise<MergePlan> {
  const first = isUuid(customerId) ? await side(db, customerId.toLowerCase()) : undefined;
  if (!first) return { kind: "not_found", which: "customer" };
  const otherId = await findLiveCustomer(db, otherRef);
  const second = otherId ? await side(db, otherId) : undefined;
  if (!second) return { kind: "not_found", which: "other" };
  if (first.id === second.id) return { kind: "same" };
  const [survivor, merged] = [first, second].sort(
    (x, y) => x.createdAt.getTime() - y.createdAt.getTime() || x.id.localeCompare(y.id),
  ) as [MergeSide, MergeSide];
  return { kind: "ready", survivor, merged };
}
