import { describe, expect, it } from "vitest";
import { audienceIssues, noSegments } from "../../../campaigns/segment/index.ts";
import { CHANNEL_NAMES, isSendingChannel, SENDING_CHANNEL_NAMES } from "../../../lib/channels.ts";
import { Channel } from "../../../lib/db/index.ts";
import { planMessage } from "../../../workers/planner.ts";
import { issuesOf, withTrigger } from "../../campaigns/compile-errors.ts";

describe("the phone channel", () => {
  it("is a channel of the database and of the code alike, but not one Rapport sends on", () => {
    expect([...CHANNEL_NAMES].sort()).toEqual(Object.values(Channel).sort());
    expect(CHANNEL_NAMES).toContain("phone");
    expect(SENDING_CHANNEL_NAMES).not.toContain("phone");
    expect(isSendingChannel("phone")).toBe(false);
    expect(SENDING_CHANNEL_NAMES.every(isSendingChannel)).toBe(true);
  });

  it("is refused in a campaign's channels, with its line and column and why", () => {
    const source = withTrigger("  event: purchase").replace("channels: [email]", "channels: [email, phone]");
    expect(issuesOf(source)).toEqual([
      "5:19 channels[1]: phone is not a channel campaigns send on: calls are only recorded; expected one of preferred, telegram, discord, x, email, webchat, whatsapp, sms",
    ]);
  });

  it("is a channel an audience can ask for (who called), but never one of consent, engagement or preference", () => {
    const issues = (expression: string) =>
      audienceIssues(expression, noSegments("segments.yaml")).map((i) => i.message);
    expect(issues('channels contains "phone"')).toEqual([]);
    expect(issues("consented(phone)")).toEqual([
      "unknown channel 'phone': expected one of telegram, discord, x, email, webchat, whatsapp, sms",
    ]);
    expect(issues('clicked(30d, "phone") > 0')[0]).toMatch(/^unknown channel 'phone'/);
    expect(issues('preferred_channel = "phone"')[0]).toMatch(/phone/);
    expect(issues('responds_on = "phone"')[0]).toMatch(/phone/);
  });

  it("is never what `preferred` picks, even when a call was the customer's first contact", () => {
    const decision = planMessage({
      campaign: { channels: ["preferred", "email"], kind: "transactional", limits: {} } as never,
      customer: {
        id: "00000000-0000-4000-8000-000000000001",
        locale: "en",
        email: null,
        phone: "+48601234567",
        timezone: null,
        country: "PL",
        consent: {},
        preferredChannel: "phone",
        respondsOn: null,
        identities: [{ channel: "phone", externalId: "+48601234567" }],
      } as never,
      occurredAt: new Date(0),
      now: new Date(0),
    });
    expect(decision).toMatchObject({ kind: "skipped", reason: "no_channel" });
  });
});
