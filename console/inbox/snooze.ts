import { wallTime, zonedInstant } from "../../lib/zoned-time.ts";

/** The snooze choices the conversation page offers; "custom" takes a date and time. */
export const SNOOZE_CHOICES = ["1h", "4h", "tomorrow", "monday", "custom"] as const;
export type SnoozeChoice = (typeof SNOOZE_CHOICES)[number];

/** Working mornings start at 9:00, in the staff member's time zone. */
const MORNING_MINUTES = 9 * 60;

/**
 * When a snooze ends: in 1 or 4 hours, tomorrow at 9:00, next Monday at 9:00 (the staff member's time zone),
 * or at a `datetime-local` value ("2026-03-06T14:30") read in that zone. Undefined for an unreadable one.
 */
export function snoozeUntil(
  choice: SnoozeChoice,
  custom: string | undefined,
  now: Date,
  timeZone: string,
): Date | undefined {
  switch (choice) {
    case "1h":
      return new Date(now.getTime() + 3_600_000);
    case "4h":
      return new Date(now.getTime() + 4 * 3_600_000);
    case "tomorrow":
    case "monday": {
      const today = wallTime(now, timeZone);
      const days = choice === "tomorrow" ? 1 : (8 - today.weekday) % 7 || 7;
      // noon UTC of the local date: adding days never crosses a date line the wrong way
      const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days, 12));
      return zonedInstant(
        {
          year: date.getUTCFullYear(),
          month: date.getUTCMonth() + 1,
          day: date.getUTCDate(),
          minutes: MORNING_MINUTES,
        },
        timeZone,
      );
    }
    case "custom": {
      const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(custom ?? "");
      if (!match) return undefined;
      const [year, month, day, hour, minute] = match.slice(1).map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return undefined;
      return zonedInstant({ year, month, day, minutes: hour * 60 + minute }, timeZone);
    }
  }
}
