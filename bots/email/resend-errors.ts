import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";

/** An error as the Resend SDK returns it (`{ error }`, never thrown). */
export interface ResendError {
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
 * Maps a Resend error to Rapport's send errors: 429 waits for the provider's signal, 401/403 say how to fix
 * the key and are never retried, 409 (same key in flight) and 5xx are retried, any other 4xx is permanent.
 */
export function toSendError(
  error: ResendError,
  headers: Record<string, string> | null,
  deliveryId: string | undefined,
): Error {
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
