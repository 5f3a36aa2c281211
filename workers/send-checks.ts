import { consentEntry } from "../bots/consent.ts";
import { type ConsentPolicy, marketingAllowed } from "../campaigns/consent-policy.ts";
import type { SendingChannelName } from "../lib/channels.ts";
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

/** Suppression reasons that stop transactional messages too, not only marketing. */
const STOPS_ALL = ["bounced", "complained"];

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
  return (await holdsOf(db, [delivery], limits, now)).get(delivery.id);
}

/**
 * What the send-time checks read besides caps, when the caller read it already (a chat batch loads them with its
 * members, workers/deliver-chat.ts): the suppressions of the members' addresses on their channels, and each
 * member's customer as it is now.
 */
export interface CheckFacts {
  suppressions: ReadonlyArray<{ channel: string; address: string; reason: string }>;
  customers: ReadonlyMap<string, { consent: unknown; country: string | null }>;
}

/**
 * {@link holdOf} for many Deliveries at once (a batch of campaign email), in a few set-based queries instead
 * of two to four per Delivery: the suppressions of every address, the customers' current consent, and each
 * cap's count per Delivery. Returns the Deliveries that must not go out, with why. Given `facts` (read with the
 * Deliveries, at the same moment), only the caps are queried.
 */
export async function holdsOf(
  db: Db,
  deliveries: readonly CheckedDelivery[],
  limits: SendLimits,
  now: Date,
  facts?: CheckFacts,
): Promise<Map<string, Hold>> {
  const holds = new Map<string, Hold>();
  if (deliveries.length === 0) return holds;
  // opt-outs are kept under the platform's user id; DMs on Discord and X are addressed "user:<id>" / "dm:<id>"
  const addressesOf = (d: CheckedDelivery) => {
    const recipient = d.recipient ?? "";
    return [recipient, recipient.replace(/^(user|dm):/, "")];
  };
  const suppressions =
    facts?.suppressions ??
    (await db.suppression.findMany({
      where: {
        channel: { in: [...new Set(deliveries.map((d) => d.channel))] as never },
        address: { in: [...new Set(deliveries.flatMap(addressesOf))] },
      },
      select: { channel: true, address: true, reason: true },
    }));
  const marketing: CheckedDelivery[] = [];
  for (const delivery of deliveries) {
    const addresses = addressesOf(delivery);
    const found = suppressions.filter((s) => s.channel === delivery.channel && addresses.includes(s.address));
    // a bounce or complaint stops every kind of message, so it is the reason named when there are several
    const suppression = found.find((s) => STOPS_ALL.includes(s.reason)) ?? found[0];
    if (suppression && (delivery.kind === "marketing" || STOPS_ALL.includes(suppression.reason)))
      holds.set(delivery.id, { status: "suppressed", reason: suppression.reason });
    else if (delivery.kind === "marketing") marketing.push(delivery);
  }
  if (marketing.length === 0) return holds;
  // read now, not with the Delivery: consent given or withdrawn a moment ago counts
  const customers =
    facts?.customers ??
    new Map(
      (
        await db.customer.findMany({
          where: { id: { in: [...new Set(marketing.map((d) => d.customerId))] } },
          select: { id: true, consent: true, country: true },
        })
      ).map((c) => [c.id, c]),
    );
  const capped: CheckedDelivery[] = [];
  for (const delivery of marketing) {
    const customer = customers.get(delivery.customerId);
    const channel = delivery.channel as SendingChannelName;
    const status = consentEntry(customer?.consent, channel)?.status;
    if (status === "denied") holds.set(delivery.id, { status: "suppressed", reason: "opted_out" });
    else if (!marketingAllowed(limits.consent, channel, customer?.country, status))
      holds.set(delivery.id, { status: "skipped", reason: "no_consent" });
    else capped.push(delivery);
  }
  for (const [limit, days] of [
    [limits.maxPerDay, 1],
    [limits.maxPerWeek, 7],
  ] as const) {
    const open = capped.filter((d) => !holds.has(d.id));
    if (!limit || open.length === 0) continue;
    // per Delivery: the customer's marketing sent in the window, other than this Delivery itself
    const counts = await db.$queryRaw<Array<{ id: string; sent: number }>>(Prisma.sql`
      SELECT d.id::text AS id, count(s.id)::int AS sent
      FROM unnest(${open.map((d) => d.id)}::uuid[], ${open.map((d) => d.customerId)}::uuid[]) AS d(id, customer)
      LEFT JOIN "Delivery" s ON s."customerId" = d.customer AND s.kind = 'marketing' AND s.status = 'sent'
        AND s.id <> d.id AND s."sentAt" > ${new Date(now.getTime() - days * 86_400_000)}
      GROUP BY d.id`);
    for (const { id, sent } of counts)
      if (sent >= limit) holds.set(id, { status: "skipped", reason: "frequency_cap" });
  }
  return holds;
}
