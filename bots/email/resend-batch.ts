import type { CreateBatchEmailOptions, Resend } from "resend";
import { PermanentSendError } from "../../lib/errors.ts";
import type { BatchResult, OutboundMessage } from "../channel.ts";
import { messageIdFor } from "./message-id.ts";
import { toSendError } from "./resend-errors.ts";

/** Most emails Resend accepts in one `POST /emails/batch`. */
export const RESEND_MAX_BATCH = 100;

/** Who every email comes from, and where answers to it go. */
export interface ResendSender {
  /** "Name <address>" of a domain verified in Resend (EMAIL_FROM). */
  from: string;
  /** The `Reply-To` of every email (EMAIL_REPLY_TO), when answers go to another address than `from`. */
  replyTo?: string;
}

/**
 * The Resend payload of one outbound email. It carries the Message-ID `<delivery-id@domain of from>` (unless
 * the message sets its own), so a customer's reply names the Delivery it answers.
 */
export function toResendEmail(sender: ResendSender, message: OutboundMessage): CreateBatchEmailOptions {
  const headers = { ...message.headers };
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "message-id"))
    headers["Message-ID"] = messageIdFor(message.deliveryId, sender.from);
  return {
    from: sender.from,
    to: message.to,
    subject: message.subject ?? "",
    html: message.html,
    text: message.text,
    headers,
    ...(sender.replyTo ? { replyTo: sender.replyTo } : {}),
  };
}

/**
 * Sends up to {@link RESEND_MAX_BATCH} emails in one request, in permissive validation mode: an email Resend
 * refuses on its own (bad address, empty subject) comes back as `{ error, permanent: true }` in its place and the
 * others still go out. The batch's `idempotencyKey` makes a retry of the same batch return the same ids without
 * sending anything twice; a refusal of the whole request throws like a single send.
 */
export async function sendResendBatch(
  resend: Resend,
  sender: ResendSender,
  messages: OutboundMessage[],
  idempotencyKey: string,
  /** Aborts the request (the deliverer's send timeout). */
  signal?: AbortSignal,
): Promise<BatchResult> {
  if (messages.length === 0) return [];
  if (messages.length > RESEND_MAX_BATCH) {
    throw new RangeError(
      `a Resend batch holds at most ${RESEND_MAX_BATCH} emails, got ${messages.length}: split it first`,
    );
  }
  const { data, error, headers } = await resend.batch.send(
    messages.map((message) => toResendEmail(sender, message)),
    { idempotencyKey, batchValidation: "permissive", ...(signal ? { signal } : {}) },
  );
  if (error) throw toSendError(error, headers, messages.length === 1 ? messages[0]?.deliveryId : undefined);
  const rejected = new Map((data.errors ?? []).map((e) => [e.index, e.message]));
  const ids = data.data.map((d) => d.id);
  if (ids.length + rejected.size !== messages.length) {
    // Retrying with the same key would replay this same answer: nothing to gain from a retry.
    throw new PermanentSendError(
      `Resend answered a batch of ${messages.length} with ${ids.length} ids and ${rejected.size} errors: cannot tell which email is which`,
      { channel: "email", providerCode: "batch_mismatch" },
    );
  }
  let next = 0;
  return messages.map((_, index) => {
    const reason = rejected.get(index);
    if (reason !== undefined) return { error: reason, permanent: true as const };
    return { providerId: ids[next++] ?? "" };
  });
}
