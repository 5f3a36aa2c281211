import type { SendingChannelName } from "../../lib/channels.ts";
import type { Db, Prisma } from "../../lib/db/index.ts";
import { survivorOf } from "../merge.ts";
import { denyConsent, normalizeEmail, suppressAddresses } from "./opt-out.ts";
import type { UnsubscribeTarget } from "./unsubscribe.ts";

/** What an unsubscribe link found or did. */
export type UnsubscribeOutcome =
  | { kind: "unsubscribed" | "already"; customerId: string; locale: string; channel: SendingChannelName }
  /** The customer no longer exists (erased): nothing can be sent to them anyway. */
  | { kind: "unknown_customer" };

/** The customer a link points at (following merges), their locale, and whether they already opted out there. */
export async function lookupUnsubscribe(db: Db, target: UnsubscribeTarget): Promise<UnsubscribeOutcome> {
  const customerId = await survivorOf(db, target.customerId);
  const customer = await db.customer.findUnique({
    where: { id: customerId },
    select: { locale: true, consent: true },
  });
  if (!customer) return { kind: "unknown_customer" };
  const consent = (customer.consent ?? {}) as Record<string, { status?: unknown } | undefined>;
  const kind = consent[target.channel]?.status === "denied" ? "already" : "unsubscribed";
  return { kind, customerId, locale: customer.locale, channel: target.channel };
}

/**
 * Opts a customer out of marketing on one channel from a signed link: suppresses every address they have
 * there (reason `unsubscribed`, source `link`) including the one the message went to, records consent
 * `denied` via `unsubscribe_link`, and writes an AuditLog row, in one transaction. Repeating it changes
 * nothing and writes no second audit row.
 */
export async function recordUnsubscribe(
  db: Db,
  target: UnsubscribeTarget,
  at: Date,
): Promise<UnsubscribeOutcome> {
  const customerId = await survivorOf(db, target.customerId);
  return db.$transaction(async (tx) => {
    const customer = await tx.customer.findUnique({
      where: { id: customerId },
      select: {
        locale: true,
        email: true,
        identities: { where: { channel: target.channel }, select: { externalId: true } },
      },
    });
    if (!customer) return { kind: "unknown_customer" as const };
    const addresses = await addressesOf(tx, customerId, target, customer);
    const suppressed = await suppressAddresses(tx, {
      channel: target.channel,
      addresses,
      customerId,
      reason: "unsubscribed",
      source: "link",
    });
    const denied = await denyConsent(tx, {
      customerId,
      channel: target.channel,
      via: "unsubscribe_link",
      at,
      evidence: { deliveryId: target.deliveryId ?? null },
    });
    const changed = suppressed > 0 || denied;
    if (changed) {
      await tx.auditLog.create({
        data: {
          actorType: "customer",
          action: "unsubscribe",
          targetType: "Customer",
          targetId: customerId,
          data: { channel: target.channel, deliveryId: target.deliveryId ?? null, via: "unsubscribe_link" },
          createdAt: at,
        },
      });
    }
    return {
      kind: changed ? ("unsubscribed" as const) : ("already" as const),
      customerId,
      locale: customer.locale,
      channel: target.channel,
    };
  });
}

/** Every address of the customer on the link's channel, as suppressions store them. */
async function addressesOf(
  tx: Prisma.TransactionClient,
  customerId: string,
  target: UnsubscribeTarget,
  customer: { email: string | null; identities: { externalId: string }[] },
): Promise<string[]> {
  const found = customer.identities.map((i) => i.externalId);
  if (target.channel === "email" && customer.email) found.push(customer.email);
  if (target.deliveryId) {
    // the address the message actually went to, even if the customer's address has changed since
    const delivery = await tx.delivery.findUnique({
      where: { id: target.deliveryId },
      select: { recipient: true, customerId: true, channel: true },
    });
    if (delivery?.recipient && delivery.customerId === customerId && delivery.channel === target.channel) {
      // chat deliveries may be addressed "user:<id>" / "dm:<id>"; opt-outs are kept under the bare id
      found.push(delivery.recipient.replace(/^(user|dm):/, ""));
    }
  }
  return target.channel === "email" ? found.map(normalizeEmail) : found;
}
