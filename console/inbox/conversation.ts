import type { Db } from "../../lib/db/index.ts";
import { cityOf, type NameParts } from "../customers/name.ts";

/** A conversation as its page shows it. */
export interface ConversationSummary {
  id: string;
  channel: string;
  status: string;
  threadRef: string | null;
  handedOver: boolean;
  unreadCount: number;
  assigneeId: string | null;
  assigneeName: string | null;
  snoozedUntil: Date | null;
  lastMessageAt: Date;
  firstReplyAt: Date | null;
  closedAt: Date | null;
  rating: number | null;
  labels: string[];
  customerId: string;
  /** What names the customer ({@link bestName} of console/customers/name.ts makes the name shown). */
  names: NameParts;
  customerLocale: string;
}

/** Loads a conversation for its page; undefined when there is none (or the id is not a uuid). */
export async function findConversation(db: Db, id: string): Promise<ConversationSummary | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const c = await db.conversation.findUnique({
    where: { id },
    include: {
      assignee: { select: { name: true, email: true } },
      customer: {
        select: {
          name: true,
          email: true,
          phone: true,
          country: true,
          address: true,
          locale: true,
          identities: {
            orderBy: { lastSeenAt: "desc" },
            select: { channel: true, displayName: true, handle: true },
          },
        },
      },
    },
  });
  if (!c) return undefined;
  const identity =
    c.customer.identities.find((i) => i.channel === c.channel) ?? c.customer.identities[0] ?? null;
  return {
    id: c.id,
    channel: c.channel,
    status: c.status,
    threadRef: c.threadRef,
    handedOver: c.handedOver,
    unreadCount: c.unreadCount,
    assigneeId: c.assigneeId,
    assigneeName: c.assignee ? c.assignee.name || c.assignee.email : null,
    snoozedUntil: c.snoozedUntil,
    lastMessageAt: c.lastMessageAt,
    firstReplyAt: c.firstReplyAt,
    closedAt: c.closedAt,
    rating: c.rating,
    labels: c.labels ?? [],
    customerId: c.customerId,
    names: {
      name: c.customer.name,
      displayName: identity?.displayName,
      email: c.customer.email,
      handle: identity?.handle,
      phone: c.customer.phone,
      city: cityOf(c.customer.address),
      country: c.customer.country,
      locale: c.customer.locale,
    },
    customerLocale: c.customer.locale,
  };
}
