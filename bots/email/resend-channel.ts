import { Resend } from "resend";
import { TransientSendError } from "../../lib/errors.ts";
import type { BatchChannel, OutboundMessage, SendOptions, SentMessage } from "../channel.ts";
import { emailChannelHooks } from "./channel-hooks.ts";
import { RESEND_MAX_BATCH, sendResendBatch, toResendEmail } from "./resend-batch.ts";
import { toSendError } from "./resend-errors.ts";

export { retryAfterMs } from "./resend-errors.ts";

/** Options for {@link createResendChannel}. */
export interface ResendChannelOptions {
  apiKey: string;
  /** API base URL. Defaults to Resend's. */
  baseUrl?: string;
  /** "Name <address>" of a domain verified in Resend. */
  from: string;
  /** `Reply-To` of every email (EMAIL_REPLY_TO): the address Resend receives mail on, when it is not `from`. */
  replyTo?: string;
  /** Requests per second allowed to this account. Defaults to 5 (Resend's default). */
  requestsPerSecond?: number;
}

/**
 * Email through Resend. The delivery key is Resend's `Idempotency-Key`, so a retry after a lost response
 * never sends a second email. The SDK returns `{ error }` instead of throwing: this maps it to Rapport's
 * send errors. `sendBatch` sends up to 100 emails per request (one request against the rate limit).
 * `message.headers` (List-Unsubscribe, In-Reply-To, …) go out as they are, with a `Message-ID` naming the
 * Delivery (`<delivery-id@domain of from>`) so that a customer's reply can be threaded. It shapes what the
 * deliverer renders as email does ({@link emailChannelHooks}: replies threaded, List-Unsubscribe headers).
 */
export function createResendChannel(options: ResendChannelOptions): BatchChannel {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  const sender = { from: options.from, replyTo: options.replyTo };
  return {
    name: "email",
    ...emailChannelHooks,
    limit: { max: options.requestsPerSecond ?? 5, durationMs: 1_000 },
    maxBatch: RESEND_MAX_BATCH,
    idempotent: true,
    async send(
      message: OutboundMessage,
      idempotencyKey: string,
      options?: SendOptions,
    ): Promise<SentMessage> {
      const { data, error, headers } = await resend.emails.send(toResendEmail(sender, message), {
        idempotencyKey,
        ...(options?.signal ? { signal: options.signal } : {}),
      });
      if (error) throw toSendError(error, headers, message.deliveryId);
      if (!data?.id)
        throw new TransientSendError("Resend accepted the email but returned no id", { channel: "email" });
      return { providerId: data.id };
    },
    sendBatch: (messages, idempotencyKey, options) =>
      sendResendBatch(resend, sender, messages, idempotencyKey, options?.signal),
  };
}
