import { CHANNEL_NAMES, type ChannelName } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { isUuid } from "./ids.ts";
import { ordersByCodePoint, prefixMatch } from "./prefix.ts";

/** Customers per page of the list. */
export const PAGE_SIZE = 25;

/** One customer in the list. */
export interface CustomerHit {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string;
  source: string | null;
  createdAt: Date;
  lastInteractionAt: Date | null;
  /** Staff's tags, sorted. */
  tags: string[];
  identities: Array<{ channel: ChannelName; handle: string | null; externalId: string }>;
}

/** A page of the customer list: newest first, with the cursor of the next page. */
export interface SearchPage {
  /** The search as typed (trimmed); "" lists everyone. */
  query: string;
  /** The tag the list is narrowed to (lower-cased), or "" for none. */
  tag: string;
  rows: CustomerHit[];
  /** `after` for the next page; null on the last one. */
  next: string | null;
}

const PHONE = /^\+?[\d\s().-]{3,}$/;

/** The keyset position of a row: (createdAt, id), newest first. */
interface Cursor {
  createdAt: Date;
  id: string;
}

/** Encodes the position after `row` for the `after` query parameter. */
export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString("base64url");
}

/** Reads an `after` parameter; undefined for a missing or malformed one (the first page). */
export function decodeCursor(value: string | undefined): Cursor | undefined {
  if (!value) return undefined;
  const [at, id] = Buffer.from(value, "base64url").toString().split("|");
  const createdAt = new Date(at ?? "");
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime())) return undefined;
  return { createdAt, id };
}

/** How a name may have been typed: as is, lower case, UPPER CASE, Capitalised Words. */
function spellings(term: string): string[] {
  const lower = term.toLowerCase();
  const capitalised = lower.replace(
    /(^|[\s'-])(\p{L})/gu,
    (_, gap: string, c: string) => gap + c.toUpperCase(),
  );
  return [term, lower, term.toUpperCase(), capitalised];
}

/**
 * The ids of customers whose email, phone, name, identity handle or identity id (chat id, email address)
 * starts with `term` — each branch an index range scan (see prefix.ts), their union deduplicated. A full
 * customer id finds that customer.
 */
function matchingIds(term: string, exact: boolean): Prisma.Sql {
  const handle = term.replace(/^@/, "");
  const branches = [
    Prisma.sql`SELECT id FROM "Customer" WHERE ${prefixMatch(Prisma.sql`email`, [term.toLowerCase()], exact)}`,
    Prisma.sql`SELECT id FROM "Customer" WHERE ${prefixMatch(Prisma.sql`name`, spellings(term), exact)}`,
    Prisma.sql`SELECT "customerId" AS id FROM "Identity"
      WHERE ${prefixMatch(Prisma.sql`handle`, [handle, handle.toLowerCase()], exact)}`,
    // the unique index is (channel, externalId): one range per channel
    Prisma.sql`SELECT "customerId" AS id FROM "Identity"
      WHERE channel IN (${Prisma.join(CHANNEL_NAMES.map((c) => Prisma.sql`${c}::"Channel"`))})
      AND ${prefixMatch(Prisma.sql`"externalId"`, [term, term.toLowerCase()], exact)}`,
  ];
  if (PHONE.test(term)) {
    const digits = term.replace(/\D/g, "");
    const prefixes = term.startsWith("+") ? [`+${digits}`] : [`+${digits}`, digits];
    branches.push(
      Prisma.sql`SELECT id FROM "Customer" WHERE ${prefixMatch(Prisma.sql`phone`, prefixes, exact)}`,
    );
  }
  if (isUuid(term))
    branches.push(Prisma.sql`SELECT id FROM "Customer" WHERE id = ${term.toLowerCase()}::uuid`);
  return Prisma.join(branches, " UNION ");
}

/**
 * A page of customers (merged-away records left out), newest first, by keyset: `after` is the previous page's
 * `next`. With a `tag`, only customers carrying it. With a `query`, only customers whose email, phone, name, handle or channel id starts with it
 * (case-insensitive for the usual spellings); name matching starts at the first name ("Jan", "Jan Kow").
 */
export async function searchCustomers(
  db: Db,
  input: { query?: string; tag?: string; after?: string; limit?: number },
): Promise<SearchPage> {
  const query = (input.query ?? "").trim().slice(0, 200);
  const tag = (input.tag ?? "").trim().toLowerCase().slice(0, 100);
  const limit = input.limit ?? PAGE_SIZE;
  const cursor = decodeCursor(input.after);
  const after = cursor
    ? Prisma.sql`AND (c."createdAt", c.id) < (${cursor.createdAt.toISOString()}::timestamptz AT TIME ZONE 'UTC', ${cursor.id}::uuid)`
    : Prisma.empty;
  const hits = query
    ? Prisma.sql`AND c.id IN (${matchingIds(query, await ordersByCodePoint(db))})`
    : Prisma.empty;
  // the GIN index on tags answers `@>`
  const tagged = tag ? Prisma.sql`AND c.tags @> ARRAY[${tag}::text]` : Prisma.empty;
  const rows = await db.$queryRaw<Array<Omit<CustomerHit, "identities">>>(Prisma.sql`
    SELECT c.id, c.name, c.email, c.phone, c.locale, c.source, c."createdAt", c."lastInteractionAt",
      COALESCE(c.tags, ARRAY[]::text[]) AS tags
    FROM "Customer" c
    WHERE c."mergedIntoId" IS NULL ${hits} ${tagged} ${after}
    ORDER BY c."createdAt" DESC, c.id DESC
    LIMIT ${limit + 1}`);
  const page = rows.slice(0, limit);
  const identities = page.length
    ? await db.identity.findMany({
        where: { customerId: { in: page.map((r) => r.id) } },
        select: { customerId: true, channel: true, handle: true, externalId: true },
        orderBy: [{ channel: "asc" }, { lastSeenAt: "desc" }],
      })
    : [];
  const last = page[page.length - 1];
  return {
    query,
    tag,
    rows: page.map((row) => ({
      ...row,
      identities: identities
        .filter((i) => i.customerId === row.id)
        .map(({ channel, handle, externalId }) => ({ channel, handle, externalId })),
    })),
    next: rows.length > limit && last ? encodeCursor(last) : null,
  };
}
