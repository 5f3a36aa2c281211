import { Resend } from "resend";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";
import type { Channel, OutboundMessage, SentMessage } from "../channel.ts";

/** Options for {@link createResendChannel}. */
export interface ResendChannelOptions {
  apiKey: string;
  /** API base URL. Defaults to Resend's. */
  baseUrl?: string;
  /** "Name <address>" of a domain verified in Resend. */
  from: string;
  /** Requests per second allowed to this account. Defaults to 5 (Resend's default). */
  requestsPerSecond?: number;
}

interface ResendError {
  statusCode?: number | null;
  name?: string;
  message?: string;
}

/** Milliseconds to wait, from `retry-after` (seconds) or `ratelimit-reset` (seconds), else 1 s. */
export function retryAfterMs(headers: Record<string, string> | null | undefined): number {
  const seconds = Number(headers?.["retry-after"] ?? headers?.["ratelimit-reset"]);
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds * 1000) : 1_000;
}

/**
 * Email through Resend. The delivery key is Resend's `Idempotency-Key`, so a retry after a lost response
 * never sends a second email. The SDK returns `{ error }` instead of throwing: this maps it to Rapport's
 * send errors.
 */
export function createResendChannel(options: ResendChannelOptions): Channel {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  return {
    name: "email",
    limit: { max: options.requestsPerSecond ?? 5, durationMs: 1_000 },
    async send(message: OutboundMessage, idempotencyKey: string): Promise<SentMessage> {
      const { data, error, headers } = await resend.emails.send(
        {
          from: options.from,
          to: message.to,
          subject: message.subject ?? "",
          html: message.html,
          text: message.text,
          headers: message.headers,
        },
        { idempotencyKey },
      );
      if (error) throw toSendError(error, headers, message.deliveryId);
      if (!data?.id)
        throw new TransientSendError("Resend accepted the email but returned no id", { channel: "email" });
      return { providerId: data.id };
    },
  };
}

function toSendError(error: ResendError, headers: Record<string, string> | null, deliveryId: string): Error {
  const status = error.statusCode ?? undefined;
  const context = { channel: "email", deliveryId, providerCode: error.name ?? String(status) };
  const detail = `Resend ${status ?? "unreachable"} ${error.name ?? ""}: ${error.message ?? ""}`.trim();
  if (status === 429) return new RateLimitedError(retryAfterMs(headers), context);
  if (status === 401 || status === 403) {
    return new PermanentSendError(
      `${detail}. RESEND_API_KEY was refused: create an API key at resend.com/api-keys (and verify the sender's domain), then set it in .env`,
      context,
    );
  }
  // 409 concurrent_idempotent_requests: the same key is in flight elsewhere; try again shortly.
  if (status === undefined || status === 409 || status >= 500) return new TransientSendError(detail, context);
  return new PermanentSendError(detail, context);
}
