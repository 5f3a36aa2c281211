import { createHmac, randomBytes } from "node:crypto";

/**
 * The signing side of the Standard Webhooks specification (standardwebhooks.com), without dependencies, so
 * the CLI can name the event types and make secrets without loading the workers.
 */

/** Event types a webhook subscription can ask for. */
export const WEBHOOK_EVENTS = [
  "customer.created",
  "customer.updated",
  "customer.merged",
  "customer.erased",
  "purchase.created",
  "conversation.created",
  "conversation.closed",
  "message.received",
  "delivery.sent",
  "delivery.failed",
  "consent.changed",
  "segment.entered",
  "segment.left",
  "loyalty.tier_changed",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** A new signing secret: `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** The `webhook-signature` value of a body: `v1,<base64 HMAC-SHA256>` of `id.timestamp.body`, keyed with the secret's bytes. */
export function signWebhook(secret: string, msgId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${msgId}.${timestamp}.${body}`).digest("base64")}`;
}
