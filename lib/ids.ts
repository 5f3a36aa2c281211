import { createHash, randomBytes } from "node:crypto";

/**
 * The idempotency key of a campaign message: one (campaign, step, customer, occurrence) is one message, ever.
 * The same string is the Delivery's unique key, the BullMQ job id and the provider's idempotency key, so it
 * must not look like an integer nor contain ":" (BullMQ), and stays well under Resend's 256 characters.
 */
export function deliveryKey(parts: {
  campaign: string;
  step: string;
  customerId: string;
  occurrence: string;
}): string {
  return ["d", parts.campaign, parts.step, parts.customerId, parts.occurrence].map(safePart).join("/");
}

/** Key of a one-off message not born of a campaign (staff reply, auto-reply): derived from what caused it. */
export function replyKey(kind: string, causeId: string): string {
  return ["r", kind, causeId].map(safePart).join("/");
}

/** A BullMQ job id for a queue-specific job, built like delivery keys (never integer-like, no ":"). */
export function jobId(...parts: string[]): string {
  return parts.map(safePart).join("/");
}

function safePart(part: string): string {
  return part.replace(/[:/\s]/g, "_");
}

/** A short stable hash, hex. */
export function shortHash(text: string, length = 16): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** A random token for secrets and cookies, base64url. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
