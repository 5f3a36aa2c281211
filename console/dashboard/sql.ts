import { Prisma } from "../../lib/db/index.ts";
import type { DashboardWindow } from "./window.ts";

/**
 * An instant as the naive UTC timestamp the schema's `DateTime` columns hold, whatever the session's time
 * zone: comparisons with it use the columns' indexes.
 */
export function utc(date: Date): Prisma.Sql {
  return Prisma.sql`(${date.toISOString()}::timestamptz AT TIME ZONE 'UTC')`;
}

/**
 * A `DateTime` column's local date (a SQL `date`) in the window's zone, as `column + offset` with the offset
 * that applies at that instant (window.ts `offsets`): plain arithmetic, several times cheaper per row than
 * `AT TIME ZONE`, and exact inside the window.
 */
export function localDate(column: Prisma.Sql, offsets: DashboardWindow["offsets"]): Prisma.Sql {
  const shifted = (minutes: number) => Prisma.sql`${column} + ${minutes}::int * interval '1 minute'`;
  const [first, ...changes] = offsets;
  if (!first) return Prisma.sql`${column}::date`;
  if (changes.length === 0) return Prisma.sql`(${shifted(first.offsetMinutes)})::date`;
  const branches = offsets
    .slice(0, -1)
    .map(
      (offset, i) =>
        Prisma.sql`WHEN ${column} < ${utc(offsets[i + 1]!.from)} THEN ${shifted(offset.offsetMinutes)}`,
    );
  return Prisma.sql`(CASE ${Prisma.join(branches, " ")} ELSE ${shifted(offsets[offsets.length - 1]!.offsetMinutes)} END)::date`;
}
