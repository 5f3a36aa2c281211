import { toLocale } from "../lib/channels.ts";
import { clockTime, timeZoneName, weekdayName } from "../lib/intl.ts";
import { isTimeZone, zoneOffsetMinutes } from "../lib/zoned-time.ts";
import type { Replies } from "./replies.ts";

const DAY = 1440;
const WEEK = 7 * DAY;
/** The order days are listed in: Monday first, as shops write opening hours. */
const MONDAY_FIRST = [1, 2, 3, 4, 5, 6, 0];

/** Whom the hours are told to: their language, and their zone when known. */
export interface HoursReader {
  /** BCP 47 language: en, id, pl (`pl-PL` works too). */
  locale: string;
  /** The customer's IANA zone; unknown or invalid: the hours are told in the business's zone. */
  timezone?: string | null;
}

/**
 * Business hours as a person says them, in the reader's language and zone: consecutive days with the same
 * hours joined into a range, closed days left out, the zone named in their language.
 * "Mon–Fri 9:00 AM–6:00 PM, Sat 10:00 AM–2:00 PM (Western Indonesia Time)";
 * "pon.–pt. 04:00–13:00, sob. 05:00–09:00 (czas środkowoeuropejski)" for a customer in Warsaw.
 * `at` picks the zones' offsets (daylight saving time). Empty when there are no hours (always open).
 */
export function describeHours(replies: Replies, reader: HoursReader, at: Date): string {
  if (replies.hours.size === 0) return "";
  const zone = reader.timezone && isTimeZone(reader.timezone) ? reader.timezone : replies.timezone;
  const shift = zoneOffsetMinutes(at, zone) - zoneOffsetMinutes(at, replies.timezone);
  const byDay = new Map<number, { from: number; to: number }>();
  for (const [day, { from, to }] of replies.hours) {
    // a day's opening moved into the reader's zone may start on the day before or after
    const start = (((day * DAY + from + shift) % WEEK) + WEEK) % WEEK;
    const opens = start % DAY;
    byDay.set(Math.floor(start / DAY), { from: opens, to: opens + (to - from) });
  }
  const groups: Array<{ first: number; last: number; from: number; to: number }> = [];
  for (const day of MONDAY_FIRST) {
    const open = byDay.get(day);
    const previous = groups.at(-1);
    if (!open) continue;
    if (previous && previous.last === before(day) && same(previous, open)) previous.last = day;
    else groups.push({ first: day, last: day, ...open });
  }
  // the language of the message around it: an unsupported one reads English
  // a run over the weekend (Sun–Thu) is one range, said from its first day
  const [head, tail] = [groups[0], groups.at(-1)];
  if (head && tail && head !== tail && head.first === 1 && tail.last === 0 && same(head, tail)) {
    head.first = tail.first;
    groups.pop();
  }
  const locale = toLocale(reader.locale);
  const days = (g: (typeof groups)[number]) =>
    g.first === g.last
      ? weekdayName(locale, g.first)
      : `${weekdayName(locale, g.first)}–${weekdayName(locale, g.last)}`;
  const text = groups
    .map((g) => `${days(g)} ${clockTime(locale, g.from)}–${clockTime(locale, g.to)}`)
    .join(", ");
  return `${text} (${timeZoneName(locale, zone, at)})`;
}

/** The day listed before `day` in Monday-first order (none before Monday). */
function before(day: number): number {
  const index = MONDAY_FIRST.indexOf(day);
  return index === 0 ? -1 : MONDAY_FIRST[index - 1]!;
}

function same(a: { from: number; to: number }, b: { from: number; to: number }): boolean {
  return a.from === b.from && a.to === b.to;
}
