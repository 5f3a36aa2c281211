import { type Db, Prisma } from "../../lib/db/index.ts";
import { decodeCursor, encodeCursor } from "../inbox/filters.ts";
import type { ListeningQuery } from "./filters.ts";

/** One of the author's other messages, as a hit shows their history. */
export interface HistoryItem {
  channel: string;
  direction: string;
  text: string;
  sentAt: Date;
}

/** A listening hit as the desk lists it: the post, its author, and where it stands. */
export interface ListeningRow {
  /** The post's Interaction id: the hit's id. */
  id: string;
  channel: string;
  keywords: string[];
  status: string;
  sentAt: Date;
  answeredAt: Date | null;
  assigneeId: string | null;
  assigneeName: string | null;
  text: string;
  /** The platform's post id (a tweet id). */
  externalId: string | null;
  conversationId: string | null;
  customerId: string;
  /** What names the author: `bestName` picks from these. */
  name: string | null;
  email: string | null;
  displayName: string | null;
  handle: string | null;
  avatarUrl: string | null;
  /** Every message of the author's, in and out, on every channel. */
  historyCount: number;
  /** Their latest other messages, newest first. */
  history: HistoryItem[];
}

/** A page of the desk. */
export interface ListeningPage {
  rows: ListeningRow[];
  next?: string;
}

/** Hits per page. */
export const LISTENING_PAGE_SIZE = 25;
/** Other messages of the author shown under a hit. */
const HISTORY_SHOWN = 3;

/**
 * The hits matching the filters, newest post first (`sentAt` desc, then id), a keyset page at a time (the
 * inbox's cursor), walking the (sentAt desc, interactionId desc) index.
 */
export async function listHits(
  db: Db,
  query: ListeningQuery,
  limit = LISTENING_PAGE_SIZE,
): Promise<ListeningPage> {
  const where = [...filters(query)];
  const cursor = decodeCursor(query.after);
  if (cursor) {
    where.push(Prisma.sql`h."sentAt" <= ${cursor.lastMessageAt}
      AND (h."sentAt" < ${cursor.lastMessageAt} OR h."interactionId" < ${cursor.id}::uuid)`);
  }
  const rows = await selectRows(db, where, limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return rows.length > limit && last
    ? { rows: page, next: encodeCursor({ lastMessageAt: last.sentAt, id: last.id }) }
    : { rows: page };
}

/** One hit, if it exists and matches the filters (a live update of an open desk); else undefined. */
export async function hitRow(db: Db, id: string, query: ListeningQuery): Promise<ListeningRow | undefined> {
  return (await selectRows(db, [Prisma.sql`h."interactionId" = ${id}::uuid`, ...filters(query)], 1))[0];
}

/** Latest hits whose keywords make the filter's choices: a bounded read, however many hits are kept. */
const KEYWORD_SAMPLE = 5_000;

/**
 * The keywords the latest hits carry (with "mention"), most frequent first: the desk's keyword filter. Reads
 * the newest {@link KEYWORD_SAMPLE} hits by the (sentAt) index, so the page costs the same after years.
 */
export async function keywordsInUse(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ keyword: string }>>(Prisma.sql`
    SELECT k AS keyword
    FROM (SELECT keywords FROM "ListeningHit" ORDER BY "sentAt" DESC LIMIT ${KEYWORD_SAMPLE}) h,
      unnest(h.keywords) AS k
    GROUP BY k ORDER BY count(*) DESC, k LIMIT 100`);
  return rows.map((row) => row.keyword);
}

function* filters(query: ListeningQuery): Generator<Prisma.Sql> {
  if (query.keyword) yield Prisma.sql`h.keywords @> ARRAY[${query.keyword}]::text[]`;
  if (query.channel) yield Prisma.sql`h.channel = ${query.channel}::"Channel"`;
  if (query.status) yield Prisma.sql`h.status = ${query.status}::"ListeningStatus"`;
}

async function selectRows(db: Db, where: Prisma.Sql[], limit: number): Promise<ListeningRow[]> {
  const condition = where.length > 0 ? Prisma.join(where, " AND ") : Prisma.sql`true`;
  return db
    .$queryRaw<ListeningRow[]>(Prisma.sql`
    SELECT h."interactionId" AS id, h.channel::text AS channel, COALESCE(h.keywords, '{}') AS keywords,
      h.status::text AS status, h."sentAt", h."answeredAt", h."assigneeId",
      COALESCE(s.name, s.email) AS "assigneeName",
      i.text, i."externalId", i."conversationId", cu.id AS "customerId", cu.name, cu.email,
      idn."displayName", idn.handle, idn."avatarUrl",
      (SELECT count(*)::int FROM "Interaction" a WHERE a."customerId" = cu.id AND NOT a.internal) AS "historyCount",
      COALESCE((
        SELECT json_agg(json_build_object('channel', a.channel, 'direction', a.direction, 'text', a.text,
          'sentAt', to_char(a."sentAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY a."sentAt" DESC)
        FROM (SELECT a.channel, a.direction, a.text, a."sentAt" FROM "Interaction" a
          WHERE a."customerId" = cu.id AND a.id <> i.id AND NOT a.internal
          ORDER BY a."sentAt" DESC LIMIT ${HISTORY_SHOWN}) a
      ), '[]') AS history
    FROM "ListeningHit" h
    JOIN "Interaction" i ON i.id = h."interactionId"
    JOIN "Customer" cu ON cu.id = i."customerId"
    LEFT JOIN "StaffUser" s ON s.id = h."assigneeId"
    LEFT JOIN LATERAL (
      SELECT d."displayName", d.handle, d."avatarUrl" FROM "Identity" d
      WHERE d."customerId" = cu.id
      ORDER BY (d.channel = h.channel) DESC, d."lastSeenAt" DESC LIMIT 1
    ) idn ON true
    WHERE ${condition}
    ORDER BY h."sentAt" DESC, h."interactionId" DESC
    LIMIT ${limit}`)
    .then((rows) =>
      rows.map((row) => ({
        ...row,
        history: (row.history as unknown as Array<HistoryItem & { sentAt: string }>).map((item) => ({
          ...item,
          sentAt: new Date(item.sentAt),
        })),
      })),
    );
}
