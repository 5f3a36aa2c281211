import { consentEntry } from "../bots/consent.ts";
import { marketingAllowed } from "../campaigns/consent-policy.ts";
import type { CompiledCampaign } from "../campaigns/index.ts";
import { type ChannelName, isSendingChannel, type SendingChannelName, toLocale } from "../lib/channels.ts";
import { quietShift } from "./quiet-hours.ts";

/** What the planner knows of a customer: plain data, loaded at the edge. */
export interface PlanCustomer {
  id: string;
  name: string | null;
  email: string | null;
  locale: string;
  timezone: string | null;
  /** ISO 3166-1 alpha-2: the consent policy may differ by country. */
  country: string | null;
  preferredChannel: ChannelName | null;
  /** Where the customer clicks or answers most (`responds_on`): what `preferred` means when known. */
  respondsOn?: ChannelName | null;
  /** `{ "<channel>": { "status": "granted" | "denied" } }` */
  consent: unknown;
  identities: Array<{ channel: ChannelName; externalId: string }>;
}

/**
 * The Prisma `select` that loads a {@link PlanCustomer}: identities most recently seen first, as the fan-out's
 * SQL picks them, so a customer with two identities on a channel is reached on the same one however the
 * message was planned (an event, a fan-out, a preview).
 */
export const PLAN_CUSTOMER_SELECT = {
  id: true,
  name: true,
  email: true,
  locale: true,
  timezone: true,
  country: true,
  preferredChannel: true,
  consent: true,
  loyaltyPoints: true,
  loyaltyTier: true,
  identities: { select: { channel: true, externalId: true }, orderBy: { lastSeenAt: "desc" } },
} as const;

/** The planner's decision for one customer and one campaign occurrence. */
export type PlanDecision =
  | { kind: "ready"; channel: SendingChannelName; recipient: string; locale: string; scheduledAt: Date }
  | {
      kind: "skipped";
      reason: "no_channel" | "opted_out" | "no_consent";
      channel: SendingChannelName;
      locale: string;
    };

/**
 * Decides where and when a campaign message goes: the first channel of the campaign's list on which the
 * customer can be reached (and, for marketing, has consent as the installation's policy requires: `granted`
 * under opt-in, not `denied` under opt-out), at the trigger time plus the campaign's
 * delay, never in the past. Pure: the caller loads the data and writes the result.
 */
export function planMessage(input: {
  campaign: CompiledCampaign;
  customer: PlanCustomer;
  /** When the triggering event happened. */
  occurredAt: Date;
  now: Date;
}): PlanDecision {
  const { campaign, customer } = input;
  const locale = toLocale(customer.locale);
  const candidates = campaign.channels
    .map((c) => (c === "preferred" ? (customer.respondsOn ?? customer.preferredChannel) : c))
    .filter((c): c is SendingChannelName => c !== null && isSendingChannel(c)); // a call (phone) is never a way back
  let optedOut: SendingChannelName | undefined;
  let noConsent: SendingChannelName | undefined;
  for (const channel of candidates) {
    const recipient = recipientOn(customer, channel);
    if (!recipient) continue;
    const status = consentEntry(customer.consent, channel)?.status;
    if (campaign.kind === "marketing" && status === "denied") {
      optedOut ??= channel;
      continue;
    }
    if (
      campaign.kind === "marketing" &&
      !marketingAllowed(campaign.consent, channel, customer.country, status)
    ) {
      noConsent ??= channel;
      continue;
    }
    const delayMs = campaign.trigger.kind === "event" ? campaign.trigger.delayMs : 0;
    const due = input.occurredAt.getTime() + delayMs;
    return {
      kind: "ready",
      channel,
      recipient,
      locale,
      scheduledAt: new Date(Math.max(due, input.now.getTime())),
    };
  }
  const fallback = candidates[0] ?? "email";
  if (noConsent) return { kind: "skipped", reason: "no_consent", channel: noConsent, locale };
  return optedOut
    ? { kind: "skipped", reason: "opted_out", channel: optedOut, locale }
    : { kind: "skipped", reason: "no_channel", channel: fallback, locale };
}

/**
 * Where a channel reaches a customer, if it can: the email address, the Telegram chat id, the web chat
 * visitor id; on Discord and X a direct message to the user ("user:<id>", "dm:<id>"), since a campaign
 * message answers no public post.
 */
export function recipientOn(customer: PlanCustomer, channel: ChannelName): string | undefined {
  if (channel === "email") return customer.email ?? undefined;
  const id = customer.identities.find((i) => i.channel === channel)?.externalId;
  if (!id) return undefined;
  if (channel === "discord") return `user:${id}`;
  if (channel === "x") return `dm:${id}`;
  return id;
}

/**
 * When a planned message goes out: the decision's time, moved out of the customer's quiet hours (in `zone`)
 * for marketing; `now` for a skipped one, which is recorded and never sent.
 */
export function sendTime(decision: PlanDecision, campaign: CompiledCampaign, zone: string, now: Date): Date {
  if (decision.kind !== "ready") return now;
  return campaign.kind === "marketing"
    ? quietShift(decision.scheduledAt, zone, campaign.limits.quietHours)
    : decision.scheduledAt;
}
