/** One day in ms: a whole-day date ends this long after it starts. */
export const ONE_DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date written in an expression: its start in ms since the epoch, and whether it names a whole (UTC) day. */
export interface DateLiteral {
  ms: number;
  wholeDay: boolean;
}

function offsetMs(zone: string): number | undefined {
  if (zone === "Z") return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = Number(zone.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

/**
 * Reads `"2026-01-31"` (a whole UTC day) or `"2026-01-31T09:00:00Z"` / `"2026-01-31T09:00+07:00"` (an instant).
 * Returns undefined for anything else, including impossible dates such as 2026-02-30.
 */
export function parseDateLiteral(text: string): DateLiteral | undefined {
  const day = DATE.exec(text);
  const m = day ?? DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, date, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map((part) => Number(part ?? 0));
  const millis = Number((m[7] ?? "").padEnd(3, "0"));
  const check = new Date(0);
  check.setUTCFullYear(year!, month! - 1, date!); // not Date.UTC: it reads years below 100 as 19xx
  check.setUTCHours(hour, minute, second, millis);
  const utc = check.getTime();
  const valid = check.getUTCMonth() === month! - 1 && check.getUTCDate() === date;
  if (!valid || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day) return { ms: utc, wholeDay: true };
  const offset = offsetMs(m[8]!);
  return offset === undefined ? undefined : { ms: utc - offset, wholeDay: false };
}
