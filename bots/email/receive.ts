import type { Db } from "../../lib/db/index.ts";
import type { InboundHandler } from "../inbound.ts";
import { automaticReason } from "./auto-submitted.ts";
import { inboundEmailExternalId, parentIdsOf, toInboundEmail } from "./inbound.ts";
import { deliveryIdIn } from "./message-id.ts";
import { normalizeEmail } from "./opt-out.ts";
import type { ReceivedEmailEventData, ReceivedEmailFetcher } from "./received.ts";
import { attachSenderAddress, findRepliedDelivery } from "./threading.ts";

/** What receiving emails needs, injected. */
export interface ReceiveEmailDeps {
  db: Db;
  /** Reads a received email's body from Resend (`createReceivedEmailFetcher`). */
  fetchEmail: ReceivedEmailFetcher;
  /** The conversation core (the responder), as every platform adapter calls it. */
  onMessage: InboundHandler;
  /** Rapport's own addresses (EMAIL_FROM, EMAIL_REPLY_TO): mail from them is a loop, never a customer. */
  ownAddresses: readonly string[];
}

/** What became of a received email. `unavailable`: Resend could not give its body, so nothing was stored. */
export type ReceiveOutcome =
  | { kind: "received"; externalId: string; repliedDeliveryId: string | null }
  | { kind: "duplicate"; externalId: string }
  | { kind: "ignored"; reason: string }
  | { kind: "unavailable"; status: number; message: string };

/**
 * Takes in an email a customer sent (Resend's `email.received`): skips a redelivery before any API call,
 * ignores mail from Rapport's own addresses, copies of its own emails and machine-written mail (out of
 * office, delivery reports), fetches the body from Resend, finds the Delivery it answers from its
 * `In-Reply-To`/`References`, makes sure the sender's address leads to the right customer, and hands the
 * message to the conversation core: stored once, in the customer's open email conversation (else a new
 * one), answered or handed to staff by the same rules as every channel. Nothing is stored unless the body
 * was fetched.
 */
export async function receiveEmail(
  deps: ReceiveEmailDeps,
  event: ReceivedEmailEventData,
  receivedAt: Date,
): Promise<ReceiveOutcome> {
  const sender = normalizeEmail(event.from);
  if (deps.ownAddresses.some((own) => normalizeEmail(own) === sender))
    return { kind: "ignored", reason: "from Rapport's own address" };
  const externalId = inboundEmailExternalId(event);
  const ownId = deliveryIdIn(externalId);
  if (ownId && (await deps.db.delivery.count({ where: { id: ownId, channel: "email" } })) > 0)
    return { kind: "ignored", reason: "a copy of an email Rapport sent" };
  const seen = await deps.db.interaction.findUnique({
    where: { channel_externalId: { channel: "email", externalId } },
    select: { id: true },
  });
  if (seen) return { kind: "duplicate", externalId };
  const fetched = await deps.fetchEmail(event.email_id);
  if (!fetched.ok) return { kind: "unavailable", status: fetched.status, message: fetched.message };
  const automatic = automaticReason(fetched.email, sender);
  if (automatic) return { kind: "ignored", reason: `machine-written (${automatic})` };
  const replied = await findRepliedDelivery(deps.db, parentIdsOf(fetched.email));
  await attachSenderAddress(deps.db, sender, replied);
  const message = toInboundEmail(event, fetched.email, {
    receivedAt,
    repliedDeliveryId: replied?.id,
    conversationId: replied?.conversationId,
  });
  await deps.onMessage(message);
  return { kind: "received", externalId, repliedDeliveryId: replied?.id ?? null };
}
