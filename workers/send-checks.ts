import { consentEntry } from "../bots/consent.ts";
import { type ConsentPolicy, marketingAllowed } from "../campaigns/consent-policy.ts";
import type { ChannelName } from "../lib/channels.ts";
import type { Db } from "../lib/db/index.ts";
import { Prisma } from "../lib/db/index.ts";
import type { QuietHours } from "./quiet-hours.ts";

/** Marketing limits that apply at send time, from the campaign. */
export interface SendLimits {
  /** The installation's consent policy; without one, opt-in on every channel. */
  consent?: ConsentPolicy;
  maxPerDay?: number;
  maxPerWeek?: number;
  quietHours?: QuietHours;
}

/** A Delivery as the send-time checks need it. */
export interface CheckedDelivery {
  id: string;
  kind: "marketing" | "transactional";
  channel: string;
  customerId: string;
  recipient: string | null;
  customer: { consent: unknown };
}

/** Why a Delivery must not go out now: a value, recorded on the Delivery, never an exception. */
export type Hold =
  | { status: "suppressed"; reason: string }
  | { status: "skipped"; reason: "frequency_cap" | "no_consent" };

/**
 * Checks a Delivery just before it is sent, since much can change after planning: a suppression (an
 * unsubscribe, /stop, a bounce or complaint) stops marketing, and a bounce or complaint stops everything on
 * that address; a marketing opt-out stops marketing, and so does missing consent where the policy asks for
 * it (`opt-in`: skipped, `no_consent`); the campaign's caps count the customer's marketing
 * messages already sent across every campaign. Transactional messages are never capped.
 */
export async function holdOf(
  db: Db,
  delivery: CheckedDelivery,
  limits: SendLimits,
  now: Date,
): Promise<Hold | undefined> {
  const recipient = delivery.recipient ?? "";
  // opt-outs are kept under the platform's user id; DMs on Discord and X are addressed "user:<id>" / "dm:<id>"
  const suppression = await db.suppression.findFirst({
    where: {
      channel: delivery.channel as never,
      address: { in: [recipient, recipient.replace(/^(user|dm):/, "")] },
    },
  });
  if (
    suppression &&
    (delivery.kind === "marketing" || ["bounced", "complained"].includes(suppression.reason))
  )
    return { status: "suppressed", reason: suppression.reason };
  if (delivery.kind !== "marketing") return undefined;
  // read now, not with the Delivery: consent given or withdrawn a moment ago counts
  const customer = await db.customer.findUnique({
    where: { id: delivery.customerId },
    select: { consent: true, country: true },
  });
  const channel = delivery.channel as ChannelName;
  const status = consentEntry(customer?.consent, channel)?.status;
  if (status === "denied") return { status: "suppressed", reason: "opted_out" };
  if (!marketingAllowed(limits.consent, channel, customer?.country, status))
    return { status: "skipped", reason: "no_consent" };
  for (const [limit, days] of [
    [limits.maxPerDay, 1],
    [limits.maxPerWeek, 7],
  ] as const) {
    if (!limit) continue;
    const [{ sent }] = (await db.$queryRaw<Array<{ sent: number }>>(Prisma.sql`
      SELECT count(*)::int AS sent FROM "Delivery"
      WHERE "customerId" = ${delivery.customerId}::uuid AND kind = 'marketing' AND status = 'sent'
        AND id <> ${delivery.id}::uuid AND "sentAt" > ${new Date(now.getTime() - days * 86_400_000)}`)) as [
      { sent: number },
    ];
    if (sent >= limit) return { status: "skipped", reason: "frequency_cap" };
  }
  return undefined;
}
