/**
 * The dashboard's period: the last N calendar days in the staff member's time zone, today included, as the
 * UTC instants queries compare with. Pure: a clock reading and a zone in, dates out.
 */

import { wallTime } from "../../lib/zoned-time.ts";

/** A period of whole local days ending now. */
export interface DashboardWindow {
  /** Its days, oldest first, as local dates "YYYY-MM-DD". */
  days: string[];
  /** Local midnight at the start of the first day, as a UTC instant. */
  from: Date;
  /** The clock's now: the end (exclusive). */
  to: Date;
  /** The IANA zone the days are in. */
  zone: string;
  /**
   * The zone's UTC offsets over the period, oldest first: `offsetMinutes` applies from `from` (the first from
   * the period's start) until the next one. One entry unless a DST change falls inside the period.
   */
  offsets: Array<{ from: Date; offsetMinutes: number }>;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

const HOUR = 3_600_000;
/** The wall-clock reading of an instant in a zone, as if that reading were UTC (epoch ms). */
function wallClock(ms: number, zone: string): number {
  const wall = wallTime(new Date(ms), zone);
  return Date.UTC(wall.year, wall.month - 1, wall.day, 0, wall.minutes, wall.seconds);
}

/** The local date of an instant in a zone: "2026-11-23". */
export function localDate(ms: number, zone: string): string {
  return new Date(wallClock(ms, zone)).toISOString().slice(0, 10);
}

/** The zone's offset from UTC at an instant, in whole minutes. */
export function offsetMinutes(ms: number, zone: string): number {
  return Math.round((wallClock(ms, zone) - ms) / MINUTE);
}

/** The UTC instant of local midnight starting `date` ("YYYY-MM-DD") in `zone` (DST-safe). */
export function startOfLocalDay(date: string, zone: string): Date {
  const midnight = Date.parse(`${date}T00:00:00Z`);
  const guess = midnight - offsetMinutes(midnight, zone) * MINUTE;
  return new Date(midnight - offsetMinutes(guess, zone) * MINUTE);
}

/**
 * The zone's offsets between two instants: hour by hour, and where an hour's offset differs, the exact minute
 * it changed (binary search). Local time is then `utc + offset`, which SQL computes far faster than
 * `AT TIME ZONE` row by row.
 */
export function offsetsBetween(from: number, to: number, zone: string): DashboardWindow["offsets"] {
  const offsets = [{ from: new Date(from), offsetMinutes: offsetMinutes(from, zone) }];
  for (let at = from; at < to; at += HOUR) {
    const next = Math.min(at + HOUR, to);
    const current = offsets[offsets.length - 1]!.offsetMinutes;
    if (offsetMinutes(next, zone) === current) continue;
    let [low, high] = [at, next]; // offset(low) is current, offset(high) is not
    while (high - low > MINUTE) {
      const middle = low + Math.floor((high - low) / 2 / MINUTE) * MINUTE;
      if (offsetMinutes(middle, zone) === current) low = middle;
      else high = middle;
    }
    offsets.push({ from: new Date(high), offsetMinutes: offsetMinutes(high, zone) });
  }
  return offsets;
}

/** The last `days` local days (today included) in `zone`, ending at `now` (epoch ms). */
export function dashboardWindow(now: number, zone: string, days = 30): DashboardWindow {
  const today = Date.parse(`${localDate(now, zone)}T00:00:00Z`);
  const list = Array.from({ length: days }, (_, i) =>
    new Date(today - (days - 1 - i) * DAY).toISOString().slice(0, 10),
  );
  const from = startOfLocalDay(list[0]!, zone);
  return { days: list, from, to: new Date(now), zone, offsets: offsetsBetween(from.getTime(), now, zone) };
}
