import type { Db } from "../../lib/db/index.ts";

/**
 * What a staff member had in front of them when they sent a reply: the newest message stored when the
 * conversation page was rendered (by `createdAt`, the database's clock, so no clocks are compared across
 * machines), and the messages live updates added to the page since (their page refs, `d-…` or `i-…`).
 */
export interface Seen {
  at: Date;
  shown: ReadonlySet<string>;
}

/** What happened in a conversation that the staff member replying had not seen. */
export interface Collision {
  /** Other staff members who replied, by name ("" for one the platform did not name), first replier first. */
  staff: string[];
  /** The customer wrote again. */
  customer: boolean;
  /** The page refs of those messages, so the page can show them. */
  refs: string[];
}

/** The most refs of messages added live that a reply form carries; older ones count as not seen. */
export const SHOWN_LIMIT = 200;

/**
 * The `seen` mark of a conversation page: the newest `createdAt` of its messages and of its outbound
 * Deliveries (a reply queued but not sent yet included). Read it before the thread, so a message stored in
 * between is on the page but after the mark: at worst a needless warning, never a missed one.
 */
export async function seenMark(db: Db, conversation: { id: string; customerId: string }): Promise<Date> {
  const [interactions, deliveries] = await Promise.all([
    db.interaction.aggregate({ where: { conversationId: conversation.id }, _max: { createdAt: true } }),
    db.delivery.aggregate({
      // the customer's own index; campaign messages have no conversation
      where: { customerId: conversation.customerId, conversationId: conversation.id },
      _max: { createdAt: true },
    }),
  ]);
  const times = [interactions._max.createdAt, deliveries._max.createdAt].flatMap((d) => (d ? [d] : []));
  return new Date(Math.max(0, ...times.map((d) => d.getTime())));
}

/**
 * What the customer and the other staff did in a conversation after `seen` that the replying staff member's
 * page did not show: a staff reply by someone else (a Delivery they queued, sent or not, or an outbound
 * staff message that came in without one) or a new customer message. Bot messages, notes and the staff
 * member's own replies never count. Undefined when there is nothing.
 */
export async function findCollision(
  db: Db,
  conversationId: string,
  seen: Seen,
  staffUserId: string,
): Promise<Collision | undefined> {
  const conversation = await db.conversation.findUnique({
    where: { id: conversationId },
    select: { customerId: true },
  });
  if (!conversation) return undefined;
  const after = { gt: seen.at };
  const [deliveries, interactions] = await Promise.all([
    db.delivery.findMany({
      where: { customerId: conversation.customerId, conversationId, createdAt: after },
      orderBy: { createdAt: "asc" },
      select: { id: true, data: true },
    }),
    db.interaction.findMany({
      where: {
        conversationId,
        createdAt: after,
        internal: false,
        OR: [
          { direction: "inbound" },
          // a staff reply made outside the console (the platform's own app) has no Delivery
          { direction: "outbound", author: "staff", deliveryId: null },
        ],
      },
      orderBy: { createdAt: "asc" },
      select: { id: true, direction: true, staffUserId: true },
    }),
  ]);
  const unseen = (ref: string) => !seen.shown.has(ref);
  const staffReplies = [
    ...deliveries.map((d) => ({ ref: `d-${d.id}`, by: staffOf(d.data) })).filter((r) => r.by !== null),
    ...interactions
      .filter((i) => i.direction === "outbound")
      .map((i) => ({ ref: `i-${i.id}`, by: i.staffUserId ?? "" })),
  ].filter((r) => r.by !== staffUserId && unseen(r.ref));
  const customer = interactions
    .filter((i) => i.direction === "inbound")
    .map((i) => `i-${i.id}`)
    .filter(unseen);
  if (staffReplies.length === 0 && customer.length === 0) return undefined;
  return {
    staff: await namesOf(
      db,
      staffReplies.map((r) => r.by as string),
    ),
    customer: customer.length > 0,
    refs: [...staffReplies.map((r) => r.ref), ...customer],
  };
}

/** Reads a reply form's `seen` and `shown` fields; undefined when the form has no `seen` (see README). */
export function parseSeen(seen: string | undefined, shown: string | undefined): Seen | undefined {
  if (!seen) return undefined;
  const at = new Date(seen);
  if (Number.isNaN(at.getTime())) return undefined;
  const refs = (shown ?? "").split(/[\s,]+/).filter((ref) => /^[di]-[0-9a-f-]{36}$/.test(ref));
  return { at, shown: new Set(refs.slice(-SHOWN_LIMIT)) };
}

function staffOf(data: unknown): string | null {
  const fields = (data ?? {}) as { author?: unknown; staffUserId?: unknown };
  return fields.author === "staff" && typeof fields.staffUserId === "string" ? fields.staffUserId : null;
}

async function namesOf(db: Db, ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  const staff = await db.staffUser.findMany({
    where: { id: { in: unique.filter((id) => id !== "") } },
    select: { id: true, name: true, email: true },
  });
  const byId = new Map(staff.map((s) => [s.id, s.name || s.email]));
  return unique.map((id) => byId.get(id) ?? "");
}
