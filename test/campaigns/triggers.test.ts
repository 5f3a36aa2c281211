import { describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { issuesOf, withTrigger } from "./compile-errors.ts";

function triggerOf(trigger: string) {
  return compileCampaign(withTrigger(trigger), "t.yaml").trigger;
}

describe("event trigger", () => {
  it("accepts the shorthand event name with a sibling delay", () => {
    expect(triggerOf("  event: purchase\n  delay: 10m")).toEqual({
      kind: "event",
      event: "purchase",
      delayMs: 600_000,
      where: {},
    });
  });

  it("accepts the full form with type, delay and where", () => {
    expect(
      triggerOf("  event: { type: purchase, delay: 2h, where: { currency: IDR, total_over: 100 } }"),
    ).toEqual({
      kind: "event",
      event: "purchase",
      delayMs: 7_200_000,
      where: { currency: "IDR", total_over: 100 },
    });
  });

  it("sends at once when no delay is given", () => {
    expect(triggerOf("  event: rating")).toMatchObject({ delayMs: 0 });
  });

  it("rejects a sibling delay next to the full form", () => {
    expect(issuesOf(withTrigger("  event: { type: purchase }\n  delay: 5m"))).toEqual([
      "5:10 trigger.delay: delay goes beside the shorthand event: <name>, or inside event: { type, delay }",
    ]);
  });

  it("rejects an event that is neither a name nor a map", () => {
    expect(issuesOf(withTrigger("  event: 5"))).toEqual([
      "4:10 trigger.event: expected an event name (event: purchase) or a map (event: { type: purchase, delay: 10m }), got 5",
    ]);
  });
});

describe("inactive trigger", () => {
  it("compiles the quiet period and what counts as activity", () => {
    expect(triggerOf("  inactive: { for: 2w, since: last_purchase }")).toEqual({
      kind: "inactive",
      forMs: 14 * 86_400_000,
      since: "last_purchase",
    });
  });

  it("counts any interaction when since is left out", () => {
    expect(triggerOf("  inactive: { for: 60d }")).toMatchObject({ since: "last_interaction" });
  });

  it("rejects an unknown since", () => {
    expect(issuesOf(withTrigger("  inactive: { for: 60d, since: last_login }"))).toEqual([
      '4:32 trigger.inactive.since: expected last_purchase or last_interaction, got "last_login"',
    ]);
  });
});

describe("schedule trigger", () => {
  it("compiles a cron schedule in a named timezone", () => {
    expect(triggerOf('  schedule: { cron: "0 9 * * 1", timezone: Europe/Warsaw }')).toEqual({
      kind: "schedule",
      cron: "0 9 * * 1",
      timezone: "Europe/Warsaw",
    });
  });

  it("compiles a one-off send in each customer's timezone", () => {
    expect(triggerOf("  schedule: { at: 2026-12-01T09:00:00, timezone: customer }")).toEqual({
      kind: "schedule",
      at: "2026-12-01T09:00:00",
      timezone: "customer",
    });
  });

  it("accepts ranges, lists, steps and names in cron fields", () => {
    expect(triggerOf('  schedule: { cron: "*/15 8-20 1,15 jan-jun MON-FRI", timezone: UTC }')).toMatchObject({
      cron: "*/15 8-20 1,15 jan-jun MON-FRI",
    });
  });

  it.each([
    ["0 9 * *", "expected 5 cron fields (minute hour day-of-month month day-of-week), got 4"],
    ["0 9 * * * *", "expected 5 cron fields (minute hour day-of-month month day-of-week), got 6"],
    ["0 25 * * 1", 'cron hour "25" is out of range 0-23'],
    ["0 9 0 * 1", 'cron day-of-month "0" is out of range 1-31'],
    ["0 9 * * monday", 'cron day-of-week "monday" is not a number, a range a-b or */n'],
    ["*/0 9 * * 1", 'cron minute "*/0" has a bad step: expected */n or a-b/n with n ≥ 1'],
    ["0 20-8 * * 1", 'cron hour range "20-8" runs backwards'],
  ])("rejects the cron expression %s", (cron, problem) => {
    expect(issuesOf(withTrigger(`  schedule: { cron: "${cron}", timezone: UTC }`))).toEqual([
      `4:21 trigger.schedule.cron: ${problem}; e.g. "0 9 * * 1" is 09:00 every Monday`,
    ]);
  });

  it("rejects an unknown timezone, suggesting the closest", () => {
    expect(issuesOf(withTrigger("  schedule: { at: 2026-12-01T09:00:00, timezone: Asia/Jakatra }"))).toEqual([
      "4:50 trigger.schedule.timezone: unknown timezone 'Asia/Jakatra' — did you mean 'Asia/Jakarta'?",
    ]);
  });

  it("rejects an impossible date and a schedule with both cron and at", () => {
    expect(issuesOf(withTrigger("  schedule: { at: 2026-02-30T09:00, timezone: UTC }"))).toEqual([
      '4:19 trigger.schedule.at: expected a local date and time like 2026-12-01T09:00:00 (no offset: timezone says where), got "2026-02-30T09:00"',
    ]);
    expect(
      issuesOf(withTrigger('  schedule: { cron: "0 9 * * 1", at: 2026-12-01T09:00:00, timezone: UTC }')),
    ).toEqual(["4:13 trigger.schedule: schedule needs exactly one of cron (repeating) or at (once)"]);
  });

  it("requires a timezone", () => {
    expect(issuesOf(withTrigger('  schedule: { cron: "0 9 * * 1" }'))).toEqual([
      "4:13 missing key 'timezone' in trigger.schedule: expected an IANA timezone like Europe/Warsaw or Asia/Jakarta, or customer",
    ]);
  });
});

describe("segment_entered trigger", () => {
  it("compiles the segment name", () => {
    expect(triggerOf("  segment_entered: { segment: vip }")).toEqual({
      kind: "segment_entered",
      segment: "vip",
    });
  });
});

describe("trigger shape", () => {
  it("needs exactly one trigger kind", () => {
    expect(issuesOf(withTrigger("  event: purchase\n  inactive: { for: 60d }"))).toEqual([
      "4:3 trigger: a trigger needs exactly one of event, inactive, schedule, segment_entered; found event and inactive",
    ]);
    expect(issuesOf("id: t\nname: T\ntrigger: {}\nchannels: [email]\nmessage: { template: t }\n")).toEqual([
      "3:10 trigger: a trigger needs exactly one of event, inactive, schedule, segment_entered; found none",
    ]);
  });

  it("suggests the trigger kind a typo meant, without also saying none was given", () => {
    expect(issuesOf(withTrigger("  inactiv: { for: 60d }"))).toEqual([
      "4:3 unknown key 'inactiv' in trigger — did you mean 'inactive'?",
    ]);
  });
});

describe("trigger values of the wrong type", () => {
  it("says a trigger kind needs a map", () => {
    expect(issuesOf(withTrigger("  inactive: 60d"))).toEqual([
      '4:13 trigger.inactive: expected a map, got "60d"',
    ]);
  });
});
