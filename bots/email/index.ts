/**
 * Email: the Resend channel (single and batch sends), `.eml` files for the outbox, signed unsubscribe links with
 * their pages and RFC 8058 headers, and Resend's delivery webhooks. Import from here, not from the files.
 */
export { type EmlMessage, toEml } from "./eml.ts";
export { normalizeEmail } from "./opt-out.ts";
export { RESEND_MAX_BATCH } from "./resend-batch.ts";
export { createResendChannel, type ResendChannelOptions, retryAfterMs } from "./resend-channel.ts";
export {
  applyResendEvent,
  parseResendWebhook,
  type ResendEmailEvent,
  type ResendEventOutcome,
} from "./resend-events.ts";
export { RESEND_WEBHOOK_PATH, type ResendWebhookOptions, registerResendWebhook } from "./resend-webhook.ts";
export { SVIX_TOLERANCE_MS, type SvixHeaders, type SvixVerdict, verifySvix } from "./svix.ts";
export {
  UNSUBSCRIBE_PATH,
  type UnsubscribeTarget,
  unsubscribeHeaders,
  unsubscribeToken,
  unsubscribeUrl,
  verifyUnsubscribeToken,
} from "./unsubscribe.ts";
export { renderUnsubscribePage, type UnsubscribePageKind } from "./unsubscribe-page.ts";
export { lookupUnsubscribe, recordUnsubscribe, type UnsubscribeOutcome } from "./unsubscribe-record.ts";
export { registerUnsubscribe, type UnsubscribeRoutesOptions } from "./unsubscribe-routes.ts";
