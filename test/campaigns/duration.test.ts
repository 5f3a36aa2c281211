import { describe, expect, it } from "vitest";
import { parseDuration } from "../../campaigns/index.ts";
import { issuesOf, withTrigger } from "./compile-errors.ts";

describe("durations", () => {
  it.each([
    ["0s", 0],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["60d", 5_184_000_000],
    ["2w", 1_209_600_000],
  ])("reads %s as %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["10", "10 m", "1.5h", "-1d", "2y", "1h30m", "", "99999999999999999w"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it("reports a number without a unit in a campaign", () => {
    expect(issuesOf(withTrigger("  event: purchase\n  delay: 0"))).toEqual([
      "5:10 trigger.delay: expected a duration like 30s, 10m, 2h, 60d or 2w (a whole number and one unit), got 0",
    ]);
  });
});
