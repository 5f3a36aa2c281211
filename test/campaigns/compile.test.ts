import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { type CompiledCampaign, compileCampaign } from "../../campaigns/index.ts";
import { CampaignSyntaxError } from "../../lib/errors.ts";
import { issuesOf } from "./compile-errors.ts";

const WIN_BACK = `id: win-back-60d
name: Win back quiet customers
kind: marketing
trigger: { inactive: { for: 60d, since: last_purchase } }
audience: segment(vip) or (orders >= 2 and country in ["ID", "PL"])
channels: [preferred, email, telegram]
message:
  template: win-back
  data: { discount: 15, coupon: unique(WINBACK15) }
limits: { once_per_customer: true, max_per_week: 2, quiet_hours: "21:00-08:00" }
goal: { event: purchase, within: 14d }
`;

describe("compileCampaign", () => {
  it("compiles the shipped thank-you campaign to its plan", async () => {
    const source = await readFile(new URL("../../campaigns/thank-you.yaml", import.meta.url), "utf8");
    const campaign = compileCampaign(source, "campaigns/thank-you.yaml");
    expect(campaign).toEqual({
      id: "thank-you",
      name: "Thank you for your order",
      kind: "transactional",
      file: "campaigns/thank-you.yaml",
      contentHash: createHash("sha256").update(source).digest("hex"),
      trigger: { kind: "event", event: "purchase", delayMs: 0, where: {} },
      channels: ["email"],
      message: { template: "thank-you", data: {} },
      limits: { oncePerCustomer: false },
    } satisfies CompiledCampaign);
    expect(source.split("\n")[0]).toBe("# yaml-language-server: $schema=./campaign.schema.json");
  });

  it("compiles the design's win-back example, durations in milliseconds", () => {
    const campaign = compileCampaign(WIN_BACK, "campaigns/win-back.yaml");
    expect(campaign).toMatchObject({
      id: "win-back-60d",
      kind: "marketing",
      trigger: { kind: "inactive", forMs: 60 * 86_400_000, since: "last_purchase" },
      audience: 'segment(vip) or (orders >= 2 and country in ["ID", "PL"])',
      channels: ["preferred", "email", "telegram"],
      message: { template: "win-back", data: { discount: 15, coupon: "unique(WINBACK15)" } },
      limits: { oncePerCustomer: true, maxPerWeek: 2, quietHours: { start: "21:00", end: "08:00" } },
      goal: { event: "purchase", withinMs: 14 * 86_400_000 },
    });
  });

  it("returns a deeply frozen plan", () => {
    const campaign = compileCampaign(WIN_BACK, "w.yaml");
    expect(Object.isFrozen(campaign)).toBe(true);
    expect(Object.isFrozen(campaign.message.data)).toBe(true);
    expect(Object.isFrozen(campaign.channels)).toBe(true);
  });

  it("changes the content hash when the text changes, even only a comment", () => {
    const a = compileCampaign(WIN_BACK, "w.yaml");
    const b = compileCampaign(`${WIN_BACK}# reviewed\n`, "w.yaml");
    expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.contentHash).not.toBe(a.contentHash);
  });

  it("defaults kind to marketing, once_per_customer to false and data to an empty map", () => {
    const campaign = compileCampaign(
      "id: a\nname: A\ntrigger: { event: purchase }\nchannels: [email]\nmessage: { template: a }\n",
      "a.yaml",
    );
    expect(campaign.kind).toBe("marketing");
    expect(campaign.limits).toEqual({ oncePerCustomer: false });
    expect(campaign.message.data).toEqual({});
    expect(campaign.goal).toBeUndefined();
  });

  it("compiles A/B variants and a holdout", () => {
    const campaign = compileCampaign(
      `${WIN_BACK}variants:\n  - { name: a, weight: 50 }\n  - { name: b, weight: 50, template: win-back-short }\nholdout: 10\n`,
      "w.yaml",
    );
    expect(campaign.variants).toEqual([
      { name: "a", weight: 50 },
      { name: "b", weight: 50, template: "win-back-short" },
    ]);
    expect(campaign.holdoutPercent).toBe(10);
  });
});

describe("compile errors", () => {
  it("reports every problem of a file at once, each at its line and column", () => {
    const source = [
      "id: spring-sale",
      "name: Spring sale",
      "trigger:",
      '  schedule: { cron: "0 9 * * 1", timezone: Europe/Warsw }',
      "chanels: [email]",
      "channels: [preferred, fax]",
      "message:",
      "  data: { discount: 15 }",
      "goal: { event: purchase, within: 2 weeks }",
    ].join("\n");
    expect(issuesOf(source)).toEqual([
      "4:44 trigger.schedule.timezone: unknown timezone 'Europe/Warsw' — did you mean 'Europe/Warsaw'?",
      "5:1 unknown key 'chanels' — did you mean 'channels'?",
      "6:23 channels[1]: unknown channel 'fax': expected one of preferred, telegram, discord, x, email, webchat, whatsapp, sms",
      "8:3 missing key 'template' in message: expected a template name like thank-you (a folder of templates/) in kebab-case: lowercase letters, digits and dashes",
      '9:34 goal.within: expected a duration like 30s, 10m, 2h, 60d or 2w (a whole number and one unit), got "2 weeks"',
    ]);
  });

  it("names the file, line and column in the error message, one problem per line", () => {
    const error = (() => {
      try {
        compileCampaign("id: Bad Id\nname: x\n", "campaigns/bad.yaml");
      } catch (e) {
        return e as CampaignSyntaxError;
      }
    })();
    expect(error).toBeInstanceOf(CampaignSyntaxError);
    expect(error?.message.split("\n")).toEqual([
      "campaigns/bad.yaml:1:1: missing key 'trigger': expected a map with one of event, inactive, schedule, segment_entered",
      "campaigns/bad.yaml:1:1: missing key 'channels': expected a list of channels like [preferred, email, telegram]",
      "campaigns/bad.yaml:1:1: missing key 'message': expected a map with template and optional data",
      'campaigns/bad.yaml:1:5: id: expected a campaign id like win-back-60d in kebab-case: lowercase letters, digits and dashes, got "Bad Id"',
    ]);
  });

  it("reports a YAML syntax error with its position, and schema problems on other lines", () => {
    const source = [
      "id: bad-yaml",
      "name: Bad",
      "trigger: { event: purchase, delay: 5 minutes }",
      "channels: [email",
      "message: { template: t }",
    ].join("\n");
    expect(issuesOf(source)).toEqual([
      '3:36 trigger.delay: expected a duration like 30s, 10m, 2h, 60d or 2w (a whole number and one unit), got "5 minutes"',
      "5:1 invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]: check the indentation and that every [ and { is closed",
    ]);
  });

  it("teaches the fix for an unquoted colon instead of reporting the keys the parser lost after it", () => {
    expect(issuesOf("id: sale\nname: Sale: 20% off\ntrigger: { event: purchase }\n")).toEqual([
      '2:7 invalid YAML: Nested mappings are not allowed in compact mappings: put a value that contains ": " in quotes, e.g. name: "Sale: 20% off"',
    ]);
  });

  it("reports a repeated key and an alias to a missing anchor", () => {
    const issues = issuesOf("id: a\nid: b\nname: *missing\n");
    expect(issues).toContain(
      "2:1 invalid YAML: Map keys must be unique: each key may appear once in a map: remove or merge the repeated one",
    );
    expect(issues).toContain("3:7 invalid YAML: *missing refers to no &missing anchor above it");
  });

  it("says what a file that is not a map of keys should be", () => {
    expect(issuesOf("")).toEqual([
      "1:1 expected a map of campaign keys (id, name, trigger, channels, message, …), got nothing",
    ]);
    expect(issuesOf("- a\n- b\n")).toEqual([
      "1:1 expected a map of campaign keys (id, name, trigger, channels, message, …), got a list",
    ]);
  });

  it("points at the key of an unknown key and lists the allowed keys when none is close", () => {
    expect(issuesOf(`${WIN_BACK}priority: high\n`)).toEqual([
      "12:1 unknown key 'priority': expected one of id, name, kind, trigger, audience, channels, message, limits, goal, variants, holdout, coupons",
    ]);
    expect(issuesOf(WIN_BACK.replace("since:", "snice:"))).toEqual([
      "4:34 unknown key 'snice' in trigger.inactive — did you mean 'since'?",
    ]);
  });

  it("rejects bad limits, channels and variants with what was expected", () => {
    const source = WIN_BACK.replace("max_per_week: 2", "max_per_week: 0")
      .replace('"21:00-08:00"', '"9pm-8am"')
      .replace("[preferred, email, telegram]", "[emial, email, email]")
      .concat("variants:\n  - { name: a, weight: 60 }\n  - { name: a, weight: 30 }\nholdout: 100\n");
    expect(issuesOf(source)).toEqual([
      "6:12 channels[0]: unknown channel 'emial' — did you mean 'email'?",
      "10:50 limits.max_per_week: expected a number of messages: a whole number 1 or more, got 0",
      '10:66 limits.quiet_hours: expected quiet hours as "HH:MM-HH:MM" in the customer\'s time, like "21:00-08:00", got "9pm-8am"',
      "13:3 variants: variant weights must add up to 100, but add up to 90",
      "14:13 variants[1].name: variant name a is used twice",
      "15:10 holdout: expected a holdout in percent: a whole number from 0 to 99, got 100",
    ]);
  });

  it("refuses a channel listed twice", () => {
    expect(issuesOf(WIN_BACK.replace("[preferred, email, telegram]", "[email, telegram, email]"))).toEqual([
      "6:29 channels[2]: channel email is listed twice",
    ]);
  });

  it("refuses frequency caps on a transactional campaign", () => {
    const source = WIN_BACK.replace("kind: marketing", "kind: transactional");
    expect(issuesOf(source)).toEqual([
      "10:50 limits.max_per_week: transactional campaigns are never capped: remove max_per_week or set kind: marketing",
    ]);
  });
});
