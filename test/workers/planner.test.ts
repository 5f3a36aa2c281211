import { describe, expect, it } from "vitest";
import type { CompiledCampaign, ConsentPolicy } from "../../campaigns/index.ts";
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
  country: null,
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

  it("sends marketing under opt-in only with granted consent; under opt-out until refused; receipts always", () => {
    const optIn: ConsentPolicy = { default: "opt-in", channels: {}, countries: {} };
    const optOut: ConsentPolicy = { default: "opt-out", channels: {}, countries: {} };
    const plan = (
      policy: ConsentPolicy,
      who: PlanCustomer,
      kind: "marketing" | "transactional" = "marketing",
    ) => planMessage({ campaign: campaign({ kind, consent: policy }), customer: who, occurredAt: now, now });
    const silent = customer();
    const granted = customer({ consent: { email: { status: "granted" } } });
    expect(plan(optIn, silent)).toEqual({
      kind: "skipped",
      reason: "no_consent",
      channel: "email",
      locale: "pl",
    });
    expect(plan(optIn, granted).kind).toBe("ready");
    expect(plan(optOut, silent).kind).toBe("ready");
    expect(plan(optIn, silent, "transactional").kind).toBe("ready");
    // no policy at all is opt-in
    expect(
      planMessage({ campaign: campaign({ kind: "marketing" }), customer: silent, occurredAt: now, now }).kind,
    ).toBe("skipped");
  });

  it("applies the customer's country's rule before the channel's and the default", () => {
    const policy: ConsentPolicy = {
      default: "opt-in",
      channels: { email: "opt-out" },
      countries: { PL: { channels: { email: "opt-in" } }, US: { default: "opt-out" } },
    };
    const plan = (country: string | null, channels: CompiledCampaign["channels"] = ["email"]) =>
      planMessage({
        campaign: campaign({ kind: "marketing", consent: policy, channels }),
        customer: customer({ country, identities: [{ channel: "telegram", externalId: "42" }] }),
        occurredAt: now,
        now,
      }).kind;
    expect(plan(null)).toBe("ready"); // email: opt-out
    expect(plan("pl")).toBe("skipped"); // Poland: email opt-in
    expect(plan(null, ["telegram"])).toBe("skipped"); // the default: opt-in
    expect(plan("US", ["telegram"])).toBe("ready"); // the US: opt-out on every channel
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
