import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from "twitter-api-v2";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";

/** How to fix a 401: which variables hold the credentials and where they come from. */
export const X_CREDENTIALS_FIX =
  "check X_API_KEY and X_API_SECRET (the app's consumer keys) and X_ACCESS_TOKEN and X_ACCESS_SECRET (the brand account's access token, from the app's 'Keys and tokens' page in the X developer portal) in .env";

/** How to fix a 403 on writes: tokens keep the permissions the app had when they were generated. */
export const X_PERMISSIONS_FIX =
  "give the app 'Read and write and Direct message' permission in the X developer portal, then regenerate X_ACCESS_TOKEN and X_ACCESS_SECRET";

/** When X sends no reset with a 429, wait one full 15-minute window. */
const FALLBACK_WAIT_MS = 15 * 60_000;

/** X's own explanation of a failed call: the problem's `detail`, else its `title`, else the SDK's message. */
export function xDetail(error: ApiResponseError): string {
  const data = error.data as { detail?: unknown; title?: unknown } | undefined;
  if (typeof data?.detail === "string") return data.detail;
  if (typeof data?.title === "string") return data.title;
  return error.message;
}

/** Milliseconds until a 429's `x-rate-limit-reset` (epoch seconds), at least 1 s. */
export function retryAfterMs(error: ApiResponseError, now: number): number {
  const reset = error.rateLimit?.reset;
  if (reset === undefined || !Number.isFinite(reset) || reset <= 0) return FALLBACK_WAIT_MS;
  return Math.max(1_000, reset * 1000 - now);
}

/**
 * Maps a twitter-api-v2 failure to Rapport's send errors: 429 waits until X's `x-rate-limit-reset`; 401 means
 * the credentials are wrong; 403 (duplicate text, missing write permission, a deleted post, a user who does
 * not accept DMs) and other 4xx never succeed on retry; 5xx and network errors are transient.
 */
export function toSendError(error: unknown, options: { deliveryId?: string; now: number }): Error {
  const context = { channel: "x", deliveryId: options.deliveryId };
  if (error instanceof ApiResponseError) {
    const providerCode = String(error.code);
    const detail = xDetail(error);
    const withCode = { ...context, providerCode };
    if (error.code === 429) return new RateLimitedError(retryAfterMs(error, options.now), withCode);
    if (error.code === 401) {
      return new PermanentSendError(
        `X refused the credentials (401 ${detail}): ${X_CREDENTIALS_FIX}`,
        withCode,
      );
    }
    if (error.code === 403 && /duplicate/i.test(detail)) {
      return new PermanentSendError(
        `X refused the post as a duplicate (403 ${detail}): X rejects a text the account posted recently; change the message text`,
        withCode,
      );
    }
    if (error.code === 403) {
      return new PermanentSendError(
        `X refused the send (403 ${detail}); if every send fails like this, ${X_PERMISSIONS_FIX}`,
        withCode,
      );
    }
    if (error.code >= 500) return new TransientSendError(`X ${error.code}: ${detail}`, withCode);
    return new PermanentSendError(`X ${error.code}: ${detail}`, withCode);
  }
  if (error instanceof ApiRequestError || error instanceof ApiPartialResponseError) {
    // twitter-api-v2 1.29 stores a request error under `error` but reads `requestError`: it can be undefined
    const inner = error instanceof ApiRequestError ? (error.requestError as Error | undefined) : undefined;
    const cause = inner?.message ?? error.message;
    return new TransientSendError(`X unreachable: ${cause}`, context);
  }
  return error instanceof Error ? error : new Error(String(error));
}
