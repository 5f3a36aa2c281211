import { randomUUID } from "node:crypto";
import type { Db } from "../../lib/db/index.ts";
import { isTimeZone } from "../../lib/zoned-time.ts";
import { resolveIdentity } from "../identity.ts";

/** One message of a visitor's conversation, as the widget draws it. */
export interface HistoryMessage {
  /**
   * The id the widget deduplicates on: the clientMessageId of the visitor's own messages, the SSE event id
   * of outbound ones (the part of `Interaction.externalId` after the first ":"), else the Interaction id.
   */
  id: string;
  direction: "inbound" | "outbound";
  author: "customer" | "bot" | "staff" | "system";
  text: string;
  /** ISO 8601. */
  at: string;
}

/**
 * A new anonymous visitor: an Identity (webchat, visitorId) with its own Customer, so the visitor exists
 * before their first message and every later call can tell a known visitor from an unknown one (404). The
 * browser's time zone, when it is one the runtime knows, becomes the customer's (their local time in the
 * console, quiet hours and `timezone: customer` schedules).
 */
export async function createVisitor(db: Db, locale: string | undefined, timezone?: string): Promise<string> {
  const visitorId = randomUUID();
  const { customerId } = await resolveIdentity(db, "webchat", { externalId: visitorId, locale });
  if (isTimeZone(timezone)) {
    await db.customer.update({ where: { id: customerId }, data: { timezone } });
  }
  return visitorId;
}

/** The customer behind a visitor, or undefined when the visitor is unknown (never issued, or erased). */
export async function visitorCustomer(db: Db, visitorId: string): Promise<string | undefined> {
  const identity = await db.identity.findUnique({
    where: { channel_externalId: { channel: "webchat", externalId: visitorId } },
    select: { customerId: true },
  });
  return identity?.customerId;
}

/**
 * The visitor's conversation, oldest first: the last `limit` web chat Interactions of the customer behind
 * the visitor, both directions. After an identify-merge that includes the customer's other browsers, never
 * their other channels, and never staff-internal notes.
 */
export async function visitorHistory(db: Db, customerId: string, limit = 200): Promise<HistoryMessage[]> {
  const rows = await db.interaction.findMany({
    where: { customerId, channel: "webchat", internal: false },
    orderBy: [{ sentAt: "desc" }, { createdAt: "desc" }],
    take: limit,
    select: { id: true, externalId: true, direction: true, author: true, text: true, sentAt: true },
  });
  return rows.reverse().map((row) => ({
    id: row.externalId ? row.externalId.slice(row.externalId.indexOf(":") + 1) : row.id,
    direction: row.direction,
    author: row.author,
    text: row.text,
    at: row.sentAt.toISOString(),
  }));
}
