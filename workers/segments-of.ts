import type { Segments } from "../campaigns/index.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/**
 * The named segments (campaigns/segments.yaml) one customer belongs to now, in file order: every segment's
 * condition evaluated for that one customer in a single query, one boolean column per segment. For the
 * console's customer panel; an unknown customer belongs to none.
 */
export async function segmentsOf(
  db: Db,
  segments: Segments,
  customerId: string,
  now: Date,
): Promise<string[]> {
  const named = [...segments.byName.values()];
  if (named.length === 0) return [];
  // positional aliases: segment names may hold characters an identifier may not
  const columns = named.map(
    (segment, i) => Prisma.sql`COALESCE((${segment.sql(now)}), false) AS ${Prisma.raw(`"s${i}"`)}`,
  );
  const rows = await db.$queryRaw<Array<Record<string, boolean>>>(Prisma.sql`
    SELECT ${Prisma.join(columns)} FROM "Customer" c WHERE c.id = ${customerId}::uuid`);
  const row = rows[0];
  if (!row) return [];
  return named.filter((_, i) => row[`s${i}`] === true).map((segment) => segment.name);
}
