import { CronExpressionParser } from "cron-parser";
import type { CampaignTrigger } from "../campaigns/index.ts";
import { wallText, zonedInstant } from "../lib/zoned-time.ts";

/** The zone that reaches a wall time first (UTC+14): a per-customer schedule fans out when it gets there. */
export const EARLIEST_ZONE = "Pacific/Kiritimati";

/** How far back a missed schedule is still sent (the scheduler was down when it fell due). Six hours. */
export const CATCH_UP_MS = 6 * 3_600_000;

/** A scheduled occurrence that is due: when, and whose clock it is read on. */
export interface DueOccurrence {
  /** Key-safe id of the occurrence, e.g. "at-2026-12-04T10-00". */
  id: string;
  /** The instant it fell due (in the earliest zone, for per-customer schedules). */
  dueAt: Date;
  /** For per-customer schedules: the local wall time every customer gets it at, "YYYY-MM-DDTHH:MM". */
  wallTime?: string;
}

/** The instant a "YYYY-MM-DDTHH:MM[:SS]" wall time happens in a zone. */
export function wallInstant(wall: string, timeZone: string): Date {
  const [date, time] = wall.split("T") as [string, string];
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute] = time.split(":").map(Number) as [number, number];
  return zonedInstant({ year, month, day, minutes: hour * 60 + minute }, timeZone);
}

/**
 * The latest occurrence of a schedule trigger at or before `now`, if it is still worth sending (no older
 * than {@link CATCH_UP_MS}) and newer than `after` (the last one sent). Pure.
 */
export function dueOccurrence(
  trigger: Extract<CampaignTrigger, { kind: "schedule" }>,
  now: Date,
  after: Date | undefined,
): DueOccurrence | undefined {
  const perCustomer = trigger.timezone === "customer";
  const zone = perCustomer ? EARLIEST_ZONE : trigger.timezone;
  let dueAt: Date;
  if (trigger.at) {
    dueAt = wallInstant(trigger.at, zone);
  } else {
    const interval = CronExpressionParser.parse(trigger.cron!, {
      currentDate: new Date(now.getTime() + 1),
      tz: zone,
    });
    dueAt = interval.prev().toDate();
  }
  // a per-customer time reaches the last zone (UTC-12) 26 hours after the first: it stays due till then
  const freshFor = CATCH_UP_MS + (perCustomer ? 26 * 3_600_000 : 0);
  if (dueAt > now || now.getTime() - dueAt.getTime() > freshFor) return undefined;
  if (after && dueAt <= after) return undefined;
  const wall = wallText(dueAt, zone);
  return {
    id: `${trigger.at ? "at" : "cron"}-${wall.replace(":", "-")}`,
    dueAt,
    ...(perCustomer && { wallTime: wall }),
  };
}
