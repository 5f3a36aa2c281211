import { randomUUID } from "node:crypto";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { isTimeZone } from "../../lib/zoned-time.ts";
import { recordFirstTouch, touchOf } from "../first-touch.ts";
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
  /** The quick answers the bot offered under it (the survey's rating buttons). */
  buttons?: Array<{ label: string; value: string }>;
}

/**
 * A new anonymous visitor: an Identity (webchat, visitorId) with its own Customer, so the visitor exists
 * before their first message and every later call can tell a known visitor from an unknown one (404). The
 * browser's time zone, when it is one the runtime knows, becomes the customer's (their local time in the
 * console, quiet hours and `timezone: customer` schedules).
 */
export async function createVisitor(
  db: Db,
  locale: string | undefined,
  timezone?: string,
  visit: { landingPage?: string; referrer?: string } = {},
): Promise<string> {
  const visitorId = randomUUID();
  const { customerId } = await resolveIdentity(db, "webchat", { externalId: visitorId, locale });
  // the new visitor's first touch: the page the chat opened on and where they came from
  await recordFirstTouch(db, customerId, touchOf(visit, "webchat", "webchat", new Date()));
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
 * What this visitor's own session may read, oldest first: the last `limit` web chat messages the visitor
 * wrote (their Interaction externalId starts with "<visitorId>:") and the messages sent to this visitor
 * (a Delivery addressed to the visitor id), never staff-internal notes. Nothing the customer wrote from
 * another browser or channel, even after a proven merge: a visitor id is a bearer token for one browser,
 * and a history endpoint should never be a way to read more than that browser saw.
 */
export async function visitorHistory(
  db: Db,
  customerId: string,
  visitorId: string,
  limit = 200,
): Promise<HistoryMessage[]> {
  const rows = await db.$queryRaw<
    Array<{
      id: string;
      externalId: string | null;
      direction: HistoryMessage["direction"];
      author: HistoryMessage["author"];
      text: string;
      sentAt: Date;
      buttons: HistoryMessage["buttons"] | null;
    }>
  >(Prisma.sql`
    SELECT i.id, i."externalId", i.direction, i.author, i.text, i."sentAt",
      CASE WHEN jsonb_typeof(d.data->'buttons') = 'array' THEN d.data->'buttons' END AS buttons
    FROM "Interaction" i
    LEFT JOIN "Delivery" d ON d.id = i."deliveryId"
    WHERE i."customerId" = ${customerId}::uuid AND i.channel = 'webchat' AND NOT i.internal
      AND ((i.direction = 'inbound' AND starts_with(i."externalId", ${`${visitorId}:`}))
        OR (i.direction = 'outbound' AND d.recipient = ${visitorId}))
    ORDER BY i."sentAt" DESC, i."createdAt" DESC
    LIMIT ${limit}`);
  return rows.reverse().map((row) => ({
    id: row.externalId ? row.externalId.slice(row.externalId.indexOf(":") + 1) : row.id,
    direction: row.direction,
    author: row.author,
    text: row.text,
    at: row.sentAt.toISOString(),
    ...(row.buttons && { buttons: row.buttons }),
  }));
}
