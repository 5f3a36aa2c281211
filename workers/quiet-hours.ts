import { Prisma } from "../lib/db/index.ts";
import { wallTime, zonedInstant } from "../lib/zoned-time.ts";

/** A daily window of customer-local wall time, "HH:MM" each; it may run over midnight (21:00–08:00). */
export interface QuietHours {
  start: string;
  end: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a marketing message due at `due` may go out for a customer in `timeZone`: `due` itself, or the end
 * of the quiet window it falls in (the customer's next morning). Pure; {@link quietShiftSql} is its twin
 * in SQL for set-based fan-out, and a test keeps both equal.
 */
export function quietShift(due: Date, timeZone: string, quiet: QuietHours | undefined): Date {
  if (!quiet) return due;
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const local = wallTime(due, timeZone);
  const t = local.minutes;
  const inQuiet = start < end ? t >= start && t < end : t >= start || t < end;
  if (!inQuiet) return due;
  // the window's end today, or tomorrow when it is already past (the window runs over midnight)
  const sameDay = { year: local.year, month: local.month, day: local.day, minutes: end };
  const nextDay = (() => {
    const d = new Date(Date.UTC(local.year, local.month - 1, local.day + 1));
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), minutes: end };
  })();
  return zonedInstant(end > t ? sameDay : nextDay, timeZone);
}

/**
 * {@link quietShift} in SQL: `due` (timestamptz) and `zone` (text, a valid IANA name) are SQL expressions.
 */
export function quietShiftSql(due: Prisma.Sql, zone: Prisma.Sql, quiet: QuietHours | undefined): Prisma.Sql {
  if (!quiet) return due;
  const local = Prisma.sql`(${due} AT TIME ZONE ${zone})`;
  const t = Prisma.sql`${local}::time`;
  const start = Prisma.sql`${quiet.start}::time`;
  const end = Prisma.sql`${quiet.end}::time`;
  const inQuiet =
    quiet.start < quiet.end
      ? Prisma.sql`(${t} >= ${start} AND ${t} < ${end})`
      : Prisma.sql`(${t} >= ${start} OR ${t} < ${end})`;
  const endToday = Prisma.sql`(${local}::date + ${end})`;
  return Prisma.sql`(CASE WHEN ${inQuiet} THEN
    (CASE WHEN ${end} > ${t} THEN ${endToday} ELSE ${endToday} + interval '1 day' END) AT TIME ZONE ${zone}
    ELSE ${due} END)`;
}
