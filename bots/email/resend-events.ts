import { z } from "zod";
import type { Db, Prisma } from "../../lib/db/index.ts";
import { denyConsent, normalizeEmail, suppressAddresses } from "./opt-out.ts";
import { ReceivedEmailEventData } from "./received.ts";

/** Every Resend webhook: `{ type, created_at, data }`. Other event families (contact.*, domain.*) share it. */
export const ResendWebhookEnvelope = z.object({
  type: z.string().min(1),
  /** When the event happened, ISO 8601. */
  created_at: z.string().optional(),
  data: z.record(z.string(), z.unknown()),
});

/** The `data` of an `email.*` event, as far as Rapport reads it. */
export const ResendEmailEventData = z.object({
  /** Resend's id of the email: the Delivery's `providerId`. */
  email_id: z.string().min(1),
  to: z.array(z.string()).optional(),
  /** `email.bounced`: `type` is "Permanent", "Transient" or "Undetermined". */
  bounce: z
    .object({ type: z.string().optional(), subType: z.string().optional(), message: z.string().optional() })
    .optional(),
  /** `email.clicked`. */
  click: z.object({ link: z.string().optional(), timestamp: z.string().optional() }).optional(),
});

/** A Resend `email.*` event Rapport acts on. */
export interface ResendEmailEvent {
  type: HandledType;
  /** When it happened (the event's `created_at`, else when it arrived). */
  at: Date;
  data: z.infer<typeof ResendEmailEventData>;
}

/** Event types that change rows; any other is acknowledged and ignored. */
export const HANDLED_TYPES = [
  "email.sent",
  "email.delivered",
  "email.opened",
  "email.clicked",
  "email.bounced",
  "email.complained",
] as const;
export type HandledType = (typeof HANDLED_TYPES)[number];

/** An inbound email's event type: Resend received an email for one of our addresses. */
export const RECEIVED_TYPE = "email.received";

/**
 * What a webhook body is: a delivery event to apply, an email a customer sent (`email.received`), an event to
 * ignore, or a body that does not fit (with the field path).
 */
export type ParsedResendWebhook =
  | { kind: "event"; event: ResendEmailEvent }
  | { kind: "received"; data: ReceivedEmailEventData }
  | { kind: "ignored"; type: string }
  | { kind: "invalid"; path: string; message: string };

/** Reads a webhook body already parsed from JSON. `receivedAt` stands in for a missing or unreadable time. */
export function parseResendWebhook(body: unknown, receivedAt: Date): ParsedResendWebhook {
  const envelope = ResendWebhookEnvelope.safeParse(body);
  if (!envelope.success) return invalid(envelope.error, []);
  const { type, created_at: createdAt, data } = envelope.data;
  if (type === RECEIVED_TYPE) {
    const received = ReceivedEmailEventData.safeParse(data);
    return received.success ? { kind: "received", data: received.data } : invalid(received.error, ["data"]);
  }
  if (!(HANDLED_TYPES as readonly string[]).includes(type)) return { kind: "ignored", type };
  const parsed = ResendEmailEventData.safeParse(data);
  if (!parsed.success) return invalid(parsed.error, ["data"]);
  const time = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  const at = Number.isNaN(time) ? receivedAt : new Date(time);
  return { kind: "event", event: { type: type as HandledType, at, data: parsed.data } };
}

function invalid(error: z.ZodError, prefix: string[]): ParsedResendWebhook {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? []).map(String)].join(".") || "(body)";
  return { kind: "invalid", path, message: `${path}: ${issue?.message ?? "invalid"}` };
}

/** What applying an event did. */
export type ResendEventOutcome =
  | { kind: "recorded"; deliveryId: string }
  /** Already known (a redelivery, or a later open/click): nothing changed. */
  | { kind: "unchanged"; deliveryId: string }
  /**
   * No Delivery has this Resend id (a bounce that arrived before the send was recorded, mail sent by another
   * tool), but the event's own `to` addresses were suppressed (`changed` rows created or strengthened).
   */
  | { kind: "suppressed_by_address"; changed: number }
  /** No Delivery has this Resend id and the event changes nothing by address either. */
  | { kind: "unknown_email" };

type Stamp = "sentAt" | "deliveredAt" | "openedAt" | "clickedAt" | "bouncedAt";

const STAMPS: Partial<Record<HandledType, Stamp>> = {
  "email.sent": "sentAt",
  "email.delivered": "deliveredAt",
  "email.opened": "openedAt",
  "email.clicked": "clickedAt",
  "email.bounced": "bouncedAt",
};

/**
 * Records a Resend event on its Delivery: the time it was delivered, first opened, first clicked or bounced (the
 * earliest one wins, whatever order events arrive in; `email.sent` only fills in a missing `sentAt`); a permanent bounce (anything but "Transient")
 * suppresses the address (reason `bounced`, source `resend`), and a complaint suppresses it (reason `complained`)
 * and denies the customer's email consent. Applying the same event twice changes nothing the second time.
 * A bounce or complaint for an email no Delivery knows is applied by the event's `to` addresses instead.
 */
export async function applyResendEvent(db: Db, event: ResendEmailEvent): Promise<ResendEventOutcome> {
  const delivery = await db.delivery.findFirst({
    where: { channel: "email", providerId: event.data.email_id },
    select: { id: true, customerId: true, recipient: true },
  });
  if (!delivery) return applyByAddress(db, event);
  const changed = await db.$transaction(async (tx) => {
    let count = 0;
    const stamp = STAMPS[event.type];
    if (stamp) count += await stampEarliest(tx, delivery.id, stamp, event.at);
    const to = event.data.to?.length ? event.data.to : delivery.recipient ? [delivery.recipient] : [];
    const addresses = to.map(normalizeEmail);
    const suppress = (reason: "bounced" | "complained") =>
      suppressAddresses(tx, {
        channel: "email",
        addresses,
        customerId: delivery.customerId,
        reason,
        source: "resend",
      });
    if (event.type === "email.bounced" && isPermanent(event.data.bounce?.type))
      count += await suppress("bounced");
    if (event.type === "email.complained") {
      count += await suppress("complained");
      const denied = await denyConsent(tx, {
        customerId: delivery.customerId,
        channel: "email",
        via: "resend_complaint",
        at: event.at,
        evidence: { deliveryId: delivery.id, providerId: event.data.email_id },
      });
      if (denied) count += 1;
    }
    return count;
  });
  return { kind: changed > 0 ? "recorded" : "unchanged", deliveryId: delivery.id };
}

/**
 * A bounce or complaint with no Delivery to tie it to still says the address must not be mailed: each of the
 * event's `to` addresses is suppressed, for the customer who has it when there is one, and a complaint denies
 * that customer's email consent. Other events change nothing.
 */
async function applyByAddress(db: Db, event: ResendEmailEvent): Promise<ResendEventOutcome> {
  const bounced = event.type === "email.bounced" && isPermanent(event.data.bounce?.type);
  const complained = event.type === "email.complained";
  const addresses = [...new Set((event.data.to ?? []).map(normalizeEmail).filter((a) => a !== ""))];
  if ((!bounced && !complained) || addresses.length === 0) return { kind: "unknown_email" };
  const changed = await db.$transaction(async (tx) => {
    let count = 0;
    for (const address of addresses) {
      const customer = await tx.customer.findUnique({ where: { email: address }, select: { id: true } });
      const customerId = customer?.id ?? null;
      count += await suppressAddresses(tx, {
        channel: "email",
        addresses: [address],
        customerId,
        reason: complained ? "complained" : "bounced",
        source: "resend",
      });
      if (complained && customerId) {
        const at = event.at;
        const evidence = { address, providerId: event.data.email_id };
        if (await denyConsent(tx, { customerId, channel: "email", via: "resend_complaint", at, evidence }))
          count += 1;
      }
    }
    return count;
  });
  return { kind: "suppressed_by_address", changed };
}

/** Unknown or missing bounce types count as permanent: a wrong suppression costs less than a blocklisting. */
function isPermanent(type: string | undefined): boolean {
  return type?.toLowerCase() !== "transient";
}

async function stampEarliest(
  tx: Prisma.TransactionClient,
  deliveryId: string,
  stamp: Stamp,
  at: Date,
): Promise<number> {
  // sentAt is ours (set when Resend accepted the email): the webhook only fills it in, never moves it
  const unset = { [stamp]: null };
  const { count } = await tx.delivery.updateMany({
    where: { id: deliveryId, OR: stamp === "sentAt" ? [unset] : [unset, { [stamp]: { gt: at } }] },
    data: { [stamp]: at },
  });
  return count;
}
