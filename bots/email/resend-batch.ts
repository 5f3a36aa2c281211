import type { CreateBatchEmailOptions, Resend } from "resend";
import { PermanentSendError } from "../../lib/errors.ts";
import type { BatchResult, OutboundMessage } from "../channel.ts";
import { toSendError } from "./resend-errors.ts";

/** Most emails Resend accepts in one `POST /emails/batch`. */
export const RESEND_MAX_BATCH = 100;

/** The Resend payload of one outbound email. */
export function toResendEmail(from: string, message: OutboundMessage): CreateBatchEmailOptions {
  return {
    from,
    to: message.to,
    subject: message.subject ?? "",
    html: message.html,
    text: message.text,
    headers: message.headers,
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
  from: string,
  messages: OutboundMessage[],
  idempotencyKey: string,
): Promise<BatchResult> {
  if (messages.length === 0) return [];
  if (messages.length > RESEND_MAX_BATCH) {
    throw new RangeError(
      `a Resend batch holds at most ${RESEND_MAX_BATCH} emails, got ${messages.length}: split it first`,
    );
  }
  const { data, error, headers } = await resend.batch.send(
    messages.map((message) => toResendEmail(from, message)),
    { idempotencyKey, batchValidation: "permissive" },
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
