import { Prisma } from "../lib/db/index.ts";

/** A daily window of customer-local wall time, "HH:MM" each; it may run over midnight (21:00–08:00). */
export interface QuietHours {
  start: string;
  end: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The wall-clock parts of an instant in a timezone. */
function wallTime(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    minutes: get("hour") * 60 + get("minute"),
    seconds: get("second"),
  };
}

/**
 * The instant a wall-clock time happens in a timezone, as PostgreSQL's `timestamp AT TIME ZONE` resolves it:
 * a time skipped by a DST jump moves forward by the jump, a repeated time takes its first (summer) instant.
 */
export function zonedInstant(
  local: { year: number; month: number; day: number; minutes: number },
  timeZone: string,
): Date {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, 0, local.minutes);
  const offsetAt = (instant: number) => {
    const w = wallTime(new Date(instant), timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, 0, w.minutes, w.seconds) - instant;
  };
  // the offset just before and after: they differ only around a DST change
  const early = offsetAt(asUtc - 86_400_000 / 2);
  const late = offsetAt(asUtc + 86_400_000 / 2);
  if (early === late) return new Date(asUtc - early);
  const withLate = asUtc - late;
  const withEarly = asUtc - early;
  // PostgreSQL reads a skipped wall time with the offset before the jump, a repeated one with the first
  const candidates = [withLate, withEarly].filter((t) => offsetAt(t) === asUtc - t);
  if (candidates.length === 0) return new Date(withEarly);
  return new Date(Math.min(...candidates));
}

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
