import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import { NOT_FULLY_REFUNDED, SIGNED_VALUE } from "../../campaigns/segment/money-sql.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";

/*
 * Rows streamed out a page at a time (keyset pagination), as CSV or JSON lines: `rapport export` (cli/export.ts)
 * and the console's segment download (console/routes/segments.ts) both write them from here.
 */

/** The two row formats: CSV with a header line (RFC 4180, UTF-8), or one JSON object a line. */
export type ExportFormat = "csv" | "jsonl";

/** One page of rows, in the order of `key`, after the last key of the page before (keyset pagination). */
type Page = (after: string | undefined, limit: number) => Promise<Record<string, unknown>[]>;

export interface Source {
  /** The columns, in order: CSV's header and each JSON object's keys. */
  columns: readonly string[];
  /** How many rows there are, for the progress bar. */
  count(): Promise<number>;
  page: Page;
  /** The column that orders the pages, unique and never null. */
  key: string;
}

/** `after` as a keyset condition: the first page has none. */
export const afterKey = (column: Prisma.Sql, after: string | undefined) =>
  after === undefined ? Prisma.sql`TRUE` : Prisma.sql`${column} > ${after}::uuid`;

/** Net spend per currency of the customer `c` (purchases less refunds), e.g. `{"EUR":"120.00"}`. */
const SPENT_SQL = Prisma.sql`(SELECT jsonb_object_agg(s.currency, s.net) FROM (
  SELECT e.currency, sum(${SIGNED_VALUE})::text AS net FROM "Event" e
  WHERE e."customerId" = c.id AND e.type IN ('purchase', 'refund') AND e.currency IS NOT NULL
  GROUP BY e.currency ORDER BY e.currency) s)`;

const CUSTOMER_COLUMNS = [
  "id",
  "external_id",
  "name",
  "email",
  "phone",
  "locale",
  "timezone",
  "country",
  "address_line1",
  "address_line2",
  "postal_code",
  "city",
  "region",
  "source",
  "email_consent",
  "orders",
  "spent",
  "last_purchase_at",
  "last_interaction_at",
  "created_at",
  "consent",
  "attributes",
] as const;

/** Customers (merged-away records left out) whose ids `where` selects, over the Customer row `c`. */
export function customerSource(db: Db, where: (now: Date) => Prisma.Sql, now: Date): Source {
  const scope = Prisma.sql`c."mergedIntoId" IS NULL AND ${where(now)}`;
  return {
    columns: CUSTOMER_COLUMNS,
    key: "id",
    count: async () =>
      Number(
        (await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "Customer" c WHERE ${scope}`)[0]!.n,
      ),
    page: (after, limit) =>
      db.$queryRaw`SELECT c.id::text AS id, c."externalId" AS external_id, c.name, c.email, c.phone, c.locale,
          c.timezone, c.country, c.address ->> 'line1' AS address_line1, c.address ->> 'line2' AS address_line2,
          c.address ->> 'postalCode' AS postal_code, c.address ->> 'city' AS city,
          c.address ->> 'region' AS region, c.source, c.consent -> 'email' ->> 'status' AS email_consent,
          (SELECT count(*) FROM "Event" e
            WHERE e."customerId" = c.id AND e.type = 'purchase' AND ${NOT_FULLY_REFUNDED})::int AS orders,
          ${SPENT_SQL} AS spent, c."lastPurchaseAt" AS last_purchase_at,
          c."lastInteractionAt" AS last_interaction_at, c."createdAt" AS created_at, c.consent, c.attributes
        FROM "Customer" c WHERE ${scope} AND ${afterKey(Prisma.sql`c.id`, after)}
        ORDER BY c.id LIMIT ${limit}`,
  };
}

/** A value as a CSV cell: dates in ISO 8601 UTC, objects as JSON, null as an empty cell. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A value in a JSON line: dates in ISO 8601 UTC, bigints as numbers (counts), the rest as it is. */
function jsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return Number(value);
  return value ?? null;
}

/** Every row of a source, page after page: never more than one page in memory. */
export async function* rowsOf(source: Source, pageSize: number, onPage: (rows: number) => void) {
  let after: string | undefined;
  for (;;) {
    const rows = await source.page(after, pageSize);
    if (rows.length === 0) return;
    for (const row of rows) yield row;
    onPage(rows.length);
    if (rows.length < pageSize) return;
    after = String(rows[rows.length - 1]![source.key]);
  }
}

/** The rows as a stream of CSV (with its header line) or JSON lines, in the source's columns. */
export function exportLines(
  source: Source,
  format: ExportFormat,
  rows: AsyncIterable<Record<string, unknown>>,
): Readable {
  return format === "csv"
    ? Readable.from(
        (async function* () {
          for await (const row of rows) yield source.columns.map((c) => cell(row[c]));
        })(),
      ).pipe(stringify({ header: true, columns: [...source.columns], bom: false }))
    : Readable.from(
        (async function* () {
          for await (const row of rows) {
            yield `${JSON.stringify(Object.fromEntries(source.columns.map((c) => [c, jsonValue(row[c])])))}\n`;
          }
        })(),
      );
}
