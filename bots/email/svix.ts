import { createHmac, timingSafeEqual } from "node:crypto";

/** How far a webhook's timestamp may be from our clock before it is refused as a replay: 5 minutes. */
export const SVIX_TOLERANCE_MS = 5 * 60 * 1_000;

/** The three headers Svix (Resend's webhook sender) signs every call with. */
export interface SvixHeaders {
  /** `svix-id`: the message id, the same on every redelivery. */
  id: string | undefined;
  /** `svix-timestamp`: seconds since the epoch. */
  timestamp: string | undefined;
  /** `svix-signature`: space-separated `v1,<base64 HMAC-SHA256>` entries (several while a secret rotates). */
  signature: string | undefined;
}

/** Why a webhook call was refused, or that it verified. */
export type SvixVerdict =
  | { ok: true }
  | { ok: false; reason: "missing_headers" | "bad_timestamp" | "stale_timestamp" | "bad_signature" };

/** The HMAC key of a `whsec_<base64>` signing secret. */
export function svixKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
}

/**
 * Verifies a Svix-signed webhook (Svix's scheme, implemented here without the svix package): the signed content is
 * `${id}.${timestamp}.${raw body}`, HMAC-SHA256 with the base64-decoded secret, base64; any one `v1` entry of
 * the signature header must match (compared in constant time), and the timestamp must be within
 * {@link SVIX_TOLERANCE_MS} of `nowMs`, so a captured call cannot be replayed later.
 */
export function verifySvix(secret: string, headers: SvixHeaders, body: Buffer, nowMs: number): SvixVerdict {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return { ok: false, reason: "missing_headers" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad_timestamp" };
  if (Math.abs(nowMs - Number(timestamp) * 1_000) > SVIX_TOLERANCE_MS) {
    return { ok: false, reason: "stale_timestamp" };
  }
  const expected = createHmac("sha256", svixKey(secret))
    .update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), body]))
    .digest();
  for (const entry of signature.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || !value) continue;
    const given = Buffer.from(value, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: "bad_signature" };
}
