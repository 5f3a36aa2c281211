import { describe, expect, it } from "vitest";
import type { CompiledCampaign } from "../../campaigns/index.ts";
import { type PlanCustomer, planMessage } from "../../workers/index.ts";

const campaign = (overrides: Partial<CompiledCampaign> = {}): CompiledCampaign =>
  ({
    id: "thank-you",
    name: "Thank you",
    kind: "transactional",
    file: "campaigns/thank-you.yaml",
    contentHash: "x",
    trigger: { kind: "event", event: "purchase", delayMs: 0, where: {} },
    channels: ["email"],
    message: { template: "thank-you", data: {} },
    limits: { oncePerCustomer: false },
    ...overrides,
  }) as CompiledCampaign;

const customer = (overrides: Partial<PlanCustomer> = {}): PlanCustomer => ({
  id: "c1",
  name: "Jan",
  email: "jan@example.com",
  locale: "pl",
  timezone: "Europe/Warsaw",
  preferredChannel: null,
  consent: {},
  identities: [],
  ...overrides,
});

const now = new Date("2026-11-23T10:00:00Z");

describe("planMessage", () => {
  it("sends a thank-you by email at once, in the customer's locale", () => {
    expect(planMessage({ campaign: campaign(), customer: customer(), occurredAt: now, now })).toEqual({
      kind: "ready",
      channel: "email",
      recipient: "jan@example.com",
      locale: "pl",
      scheduledAt: now,
    });
  });

  it("waits the trigger's delay after the event, but never schedules in the past", () => {
    const delayed = campaign({
      trigger: { kind: "event", event: "purchase", delayMs: 2 * 3600_000, where: {} },
    });
    const recent = planMessage({ campaign: delayed, customer: customer(), occurredAt: now, now });
    expect(recent.kind === "ready" && recent.scheduledAt.toISOString()).toBe("2026-11-23T12:00:00.000Z");
    const old = planMessage({
      campaign: delayed,
      customer: customer(),
      occurredAt: new Date("2026-11-01T00:00:00Z"),
      now,
    });
    expect(old.kind === "ready" && old.scheduledAt).toEqual(now);
  });

  it("takes the first channel the customer can be reached on, resolving 'preferred'", () => {
    const reachable = customer({
      preferredChannel: "telegram",
      identities: [{ channel: "telegram", externalId: "4242" }],
    });
    const plan = planMessage({
      campaign: campaign({ channels: ["preferred", "email"] }),
      customer: reachable,
      occurredAt: now,
      now,
    });
    expect(plan).toMatchObject({ kind: "ready", channel: "telegram", recipient: "4242" });
    const noTelegram = planMessage({
      campaign: campaign({ channels: ["telegram", "email"] }),
      customer: customer(),
      occurredAt: now,
      now,
    });
    expect(noTelegram).toMatchObject({ kind: "ready", channel: "email" });
  });

  it("skips a marketing message on a channel the customer opted out of", () => {
    const optedOut = customer({ consent: { email: { status: "denied" } } });
    expect(
      planMessage({ campaign: campaign({ kind: "marketing" }), customer: optedOut, occurredAt: now, now }),
    ).toEqual({
      kind: "skipped",
      reason: "opted_out",
      channel: "email",
      locale: "pl",
    });
    // a transactional message (a receipt) still goes
    expect(planMessage({ campaign: campaign(), customer: optedOut, occurredAt: now, now }).kind).toBe(
      "ready",
    );
  });

  it("skips with a reason when no channel reaches the customer", () => {
    const plan = planMessage({
      campaign: campaign(),
      customer: customer({ email: null, locale: "fr" }),
      occurredAt: now,
      now,
    });
    expect(plan).toEqual({ kind: "skipped", reason: "no_channel", channel: "email", locale: "en" });
  });
});
