/**
 * Email: the Resend channel (single and batch sends), `.eml` files for the outbox, signed unsubscribe links with
 * their pages and RFC 8058 headers, Resend's delivery webhooks, inbound email (`email.received`: quoted history
 * stripped, threaded by Message-ID) and replies sent as proper email replies. Import from here, not from the files.
 */
export { automaticReason } from "./auto-submitted.ts";
export { decodeHeader, type EmlMessage, toEml } from "./eml.ts";
export { htmlToText } from "./html-text.ts";
export {
  displayNameOf,
  type InboundEmailFacts,
  inboundEmailExternalId,
  MAX_STORED_HTML,
  parentIdsOf,
  toInboundEmail,
} from "./inbound.ts";
export { deliveryIdIn, domainOf, messageIdFor, parseMessageIds } from "./message-id.ts";
export { normalizeEmail } from "./opt-out.ts";
export { stripQuoted } from "./quoted.ts";
export { type ReceiveEmailDeps, type ReceiveOutcome, receiveEmail } from "./receive.ts";
export {
  createReceivedEmailFetcher,
  type FetchedEmail,
  headerOf,
  ReceivedEmail,
  ReceivedEmailEventData,
  type ReceivedEmailFetcher,
  type ReceivedEmailFetcherOptions,
} from "./received.ts";
export {
  type EmailReply,
  type EmailReplyInput,
  emailReply,
  REPLY_TEXTS,
  replySubject,
} from "./reply-email.ts";
export { RESEND_MAX_BATCH, type ResendSender } from "./resend-batch.ts";
export { createResendChannel, type ResendChannelOptions, retryAfterMs } from "./resend-channel.ts";
export {
  applyResendEvent,
  type ParsedResendWebhook,
  parseResendWebhook,
  RECEIVED_TYPE,
  type ResendEmailEvent,
  type ResendEventOutcome,
} from "./resend-events.ts";
export { RESEND_WEBHOOK_PATH, type ResendWebhookOptions, registerResendWebhook } from "./resend-webhook.ts";
export { SVIX_TOLERANCE_MS, type SvixHeaders, type SvixVerdict, verifySvix } from "./svix.ts";
export {
  attachSenderAddress,
  type EmailThread,
  emailThreadOf,
  findRepliedDelivery,
  MAX_REFERENCES,
  type RepliedDelivery,
} from "./threading.ts";
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
