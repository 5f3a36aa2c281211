import { describe, expect, it } from "vitest";
import { snoozeUntil } from "../../../console/inbox/snooze.ts";

// Friday 6 March 2026, 22:30 in Jakarta (UTC+7), 16:30 in Warsaw (UTC+1)
const NOW = new Date("2026-03-06T15:30:00Z");

describe("snoozeUntil", () => {
  it("adds hours", () => {
    expect(snoozeUntil("1h", undefined, NOW, "Asia/Jakarta")).toEqual(new Date("2026-03-06T16:30:00Z"));
    expect(snoozeUntil("4h", undefined, NOW, "Asia/Jakarta")).toEqual(new Date("2026-03-06T19:30:00Z"));
  });

  it("wakes tomorrow and on Monday at 9:00 in the staff member's time zone", () => {
    expect(snoozeUntil("tomorrow", undefined, NOW, "Asia/Jakarta")).toEqual(new Date("2026-03-07T02:00:00Z"));
    expect(snoozeUntil("monday", undefined, NOW, "Asia/Jakarta")).toEqual(new Date("2026-03-09T02:00:00Z"));
    expect(snoozeUntil("monday", undefined, NOW, "Europe/Warsaw")).toEqual(new Date("2026-03-09T08:00:00Z"));
    // on a Monday, next Monday
    expect(snoozeUntil("monday", undefined, new Date("2026-03-09T12:00:00Z"), "UTC")).toEqual(
      new Date("2026-03-16T09:00:00Z"),
    );
  });

  it("reads a custom date and time in the staff member's zone, across a DST change", () => {
    expect(snoozeUntil("custom", "2026-03-30T09:15", NOW, "Europe/Warsaw")).toEqual(
      new Date("2026-03-30T07:15:00Z"),
    );
    expect(snoozeUntil("custom", "2026-03-27T09:15", NOW, "Europe/Warsaw")).toEqual(
      new Date("2026-03-27T08:15:00Z"),
    );
  });

  it("refuses what is not a date and time", () => {
    for (const value of [undefined, "", "tomorrow", "2026-13-01T09:00", "2026-03-06T25:00", "2026-03-06"])
      expect(snoozeUntil("custom", value, NOW, "UTC"), String(value)).toBeUndefined();
  });
});
