import { type Db, Prisma } from "../../lib/db/index.ts";
import { decodeCursor, encodeCursor, type InboxCursor, type InboxQuery } from "./filters.ts";

/** One conversation as the inbox lists it. */
export interface InboxRow {
  id: string;
  channel: string;
  status: string;
  unreadCount: number;
  lastMessageAt: Date;
  snoozedUntil: Date | null;
  assigneeId: string | null;
  assigneeName: string | null;
  customerId: string;
  /** What names the customer: `bestName` (console/customers/name.ts) picks from these. */
  name: string | null;
  displayName: string | null;
  email: string | null;
  phone: string | null;
  city: string | null;
  country: string | null;
  handle: string | null;
  avatarUrl: string | null;
  locale: string;
  /**
   * The preview line: the customer's latest own message (never an away message, an auto-reply or a staff
   * reply); the latest message of any author only when the customer has written nothing in it yet.
   */
  lastText: string | null;
  lastAuthor: string | null;
  lastInternal: boolean | null;
  /** The conversation's labels, as stored. */
  labels: string[];
  /**
   * With a search: the latest matching message's words around the match, each match between
   * {@link HIT_START} and {@link HIT_END}; otherwise null.
   */
  snippet: string | null;
}

/** Where a search match starts and ends in a {@link InboxRow.snippet}: characters no message keeps. */
export const HIT_START = "\u0001";
export const HIT_END = "\u0002";

/** A page of the inbox. */
export interface InboxPage {
  rows: InboxRow[];
  /** The `after` of the next page, when there is one. */
  next?: string;
}

/** Rows per page. */
export const INBOX_PAGE_SIZE = 25;

/**
 * The conversations matching the filters, newest message first (`lastMessageAt` desc, then id), a page at a
 * time by keyset: the page after a cursor starts where the last one ended, never by OFFSET, so the 40th page
 * costs what the first does. The status filter walks the (status, lastMessageAt desc) index; open and
 * pending leave out snoozed conversations until their time comes. One query per page: each row's identity
 * and preview come from LATERAL subqueries that walk the (conversationId, sentAt) index backwards from the
 * newest message, so a row costs the same however long its conversation is. A search (`q`) first finds the
 * matching messages by the GIN index on to_tsvector('simple', text); each row then shows the words around the
 * match in its latest matching message (`ts_headline`).
 */
export async function listConversations(
  db: Db,
  query: InboxQuery,
  context: { staffUserId: string; now: Date; limit?: number },
): Promise<InboxPage> {
  const limit = context.limit ?? INBOX_PAGE_SIZE;
  const where = [...filters(query, context)];
  const cursor = decodeCursor(query.after);
  if (cursor) {
    // spelled out so the index's lastMessageAt bound is used as such, the id only breaking ties
    where.push(Prisma.sql`c."lastMessageAt" <= ${cursor.lastMessageAt}
      AND (c."lastMessageAt" < ${cursor.lastMessageAt} OR c.id < ${cursor.id}::uuid)`);
  }
  const rows = await selectRows(db, where, limit + 1, query.q);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return rows.length > limit && last
    ? { rows: page, next: encodeCursor({ lastMessageAt: last.lastMessageAt, id: last.id }) }
    : { rows: page };
}

/** One conversation's row, if it matches the filters (a live update of an open list); else undefined. */
export async function conversationRow(
  db: Db,
  conversationId: string,
  query: InboxQuery,
  context: { staffUserId: string; now: Date },
): Promise<InboxRow | undefined> {
  const where = [Prisma.sql`c.id = ${conversationId}::uuid`, ...filters(query, context, "one")];
  return (await selectRows(db, where, 1, query.q))[0];
}

/** The WHERE conditions of a list; `one` when they test a single conversation (a live row). */
function* filters(
  query: InboxQuery,
  context: { staffUserId: string; now: Date },
  rows: "list" | "one" = "list",
): Generator<Prisma.Sql> {
  const awake = Prisma.sql`(c."snoozedUntil" IS NULL OR c."snoozedUntil" <= ${context.now})`;
  switch (query.status) {
    case "open":
    case "pending":
      yield Prisma.sql`c.status = ${query.status}::"ConversationStatus"`;
      yield awake;
      break;
    case "snoozed":
      yield Prisma.sql`c.status IN ('open', 'pending') AND c."snoozedUntil" > ${context.now}`;
      break;
    case "closed":
      yield Prisma.sql`c.status = 'closed'`;
      break;
  }
  if (query.channel) yield Prisma.sql`c.channel = ${query.channel}::"Channel"`;
  if (query.assignee === "mine") yield Prisma.sql`c."assigneeId" = ${context.staffUserId}::uuid`;
  else if (query.assignee === "unassigned") yield Prisma.sql`c."assigneeId" IS NULL`;
  else if (query.assignee) yield Prisma.sql`c."assigneeId" = ${query.assignee}::uuid`;
  if (query.locale) yield Prisma.sql`(cu.locale = ${query.locale} OR cu.locale LIKE ${`${query.locale}-%`})`;
  if (query.label) yield Prisma.sql`c.labels @> ARRAY[${query.label}]::text[]`;
  if (query.q && rows === "one")
    yield Prisma.sql`EXISTS (SELECT 1 FROM "Interaction" m WHERE m."conversationId" = c.id AND ${matches(query.q)})`;
  else if (query.q)
    // the matching messages found first, by the GIN index, then joined by hash: OFFSET 0 keeps the planner from
    // walking the list's index instead and computing to_tsvector for every message of every conversation
    // (3.5 s for a word found nowhere among 500 000 messages, against 15 ms; 200 ms for a word in one in seven)
    yield Prisma.sql`c.id IN (SELECT DISTINCT m."conversationId" FROM "Interaction" m WHERE ${matches(query.q)} OFFSET 0)`;
}

/**
 * Whether message `m` matches a search: the expression of the GIN index on Interaction (`simple`: no stemming,
 * no stop words, so "pesanan" and "zamówienie" are found as written), with web-search syntax, which never
 * fails to parse.
 */
function matches(q: string): Prisma.Sql {
  return Prisma.sql`to_tsvector('simple', m.text) @@ websearch_to_tsquery('simple', ${q})`;
}

/** The latest message matching the search, a few words around the match (none without a search). */
function snippet(q: string | undefined): Prisma.Sql {
  if (!q) return Prisma.sql`SELECT NULL::text AS snippet`;
  const options = `StartSel=${HIT_START}, StopSel=${HIT_END}, MaxWords=18, MinWords=6, MaxFragments=1`;
  return Prisma.sql`
    SELECT ts_headline('simple', translate(m.text, ${HIT_START + HIT_END}, ''), websearch_to_tsquery('simple', ${q}), ${options}) AS snippet
    FROM "Interaction" m
    WHERE m."conversationId" = c.id AND ${matches(q)}
    ORDER BY m."sentAt" DESC LIMIT 1`;
}

async function selectRows(
  db: Db,
  where: Prisma.Sql[],
  limit: number,
  q: string | undefined,
): Promise<InboxRow[]> {
  return db.$queryRaw<InboxRow[]>(Prisma.sql`
    SELECT c.id, c.channel::text AS channel, c.status::text AS status, c."unreadCount", c."lastMessageAt",
      c."snoozedUntil", c."assigneeId", COALESCE(s.name, s.email) AS "assigneeName",
      cu.id AS "customerId", cu.name, idn."displayName", cu.email, cu.phone, cu.address ->> 'city' AS city,
      cu.country, idn.handle, idn."avatarUrl", cu.locale,
      COALESCE(said.text, last.text) AS "lastText", COALESCE(said.author, last.author)::text AS "lastAuthor",
      COALESCE(said.internal, last.internal) AS "lastInternal", COALESCE(c.labels, '{}') AS labels, hit.snippet
    FROM "Conversation" c
    JOIN "Customer" cu ON cu.id = c."customerId"
    LEFT JOIN "StaffUser" s ON s.id = c."assigneeId"
    LEFT JOIN LATERAL (
      SELECT i."displayName", i.handle, i."avatarUrl" FROM "Identity" i
      WHERE i."customerId" = c."customerId"
      ORDER BY (i.channel = c.channel) DESC, i."lastSeenAt" DESC LIMIT 1
    ) idn ON true
    LEFT JOIN LATERAL (
      SELECT m.text, m.author, m.internal FROM "Interaction" m
      WHERE m."conversationId" = c.id AND m.direction = 'inbound' AND m.author = 'customer' AND NOT m.internal
      ORDER BY m."sentAt" DESC LIMIT 1
    ) said ON true
    LEFT JOIN LATERAL (
      SELECT m.text, m.author, m.internal FROM "Interaction" m
      WHERE said.text IS NULL AND m."conversationId" = c.id
      ORDER BY m."sentAt" DESC LIMIT 1
    ) last ON true
    LEFT JOIN LATERAL (${snippet(q)}) hit ON true
    WHERE ${Prisma.join(where, " AND ")}
    ORDER BY c."lastMessageAt" DESC, c.id DESC
    LIMIT ${limit}`);
}

/**
 * The conversation after `current` in a list (the same filters, the same order): the next older one, or,
 * past the end, the newest one that is not `current`. Undefined when the list has no other conversation.
 * `current` is where the conversation stood (its lastMessageAt before it was closed), whether or not it
 * still matches the filters.
 */
export async function nextConversation(
  db: Db,
  query: InboxQuery,
  current: InboxCursor,
  context: { staffUserId: string; now: Date },
): Promise<string | undefined> {
  const after = await listConversations(
    db,
    { ...query, after: encodeCursor(current) },
    { ...context, limit: 1 },
  );
  if (after.rows[0]) return after.rows[0].id;
  const top = await listConversations(db, { ...query, after: undefined }, { ...context, limit: 2 });
  return top.rows.find((row) => row.id !== current.id)?.id;
}
