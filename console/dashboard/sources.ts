import { type Db, Prisma } from "../../lib/db/index.ts";
import { utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** How many sources are shown by name; the rest are summed as "other". */
export const TOP_SOURCES = 10;

/** New customers of the window by first-touch source; `source` null: unknown, "*": all the others. */
export interface SourceCount {
  source: string | null;
  count: number;
}

/**
 * New customers (merged-away records left out) of the window by their first-touch source (FirstTouch, else the
 * older `Customer.source`), most first.
 */
export async function customersBySource(db: Db, window: DashboardWindow): Promise<SourceCount[]> {
  const rows = await db.$queryRaw<SourceCount[]>(Prisma.sql`
    SELECT coalesce(f.source, c.source) AS source, count(*)::int AS count
    FROM "Customer" c LEFT JOIN "FirstTouch" f ON f."customerId" = c.id
    WHERE c."createdAt" >= ${utc(window.from)} AND c."createdAt" < ${utc(window.to)} AND c."mergedIntoId" IS NULL
    GROUP BY 1 ORDER BY count DESC, source NULLS LAST`);
  if (rows.length <= TOP_SOURCES + 1) return rows;
  const rest = rows.slice(TOP_SOURCES).reduce((sum, r) => sum + r.count, 0);
  return [...rows.slice(0, TOP_SOURCES), { source: "*", count: rest }];
}
