export {
  type BatchChannel,
  type BatchResult,
  type Channel,
  type ChannelHooks,
  isBatchChannel,
  isRejected,
  type OutboundMessage,
  type PrepareContext,
  type RejectedMessage,
  type SendOptions,
  type SentMessage,
} from "./channel.ts";
export { parseCommand } from "./commands.ts";
export { setConsent } from "./consent.ts";
export { type Claim, type ClaimSource, type ContactKind, claimContact } from "./contact-claims.ts";
export { type CaptureResult, captureMessage } from "./conversation.ts";
export { createDiscordBot, createDiscordChannel, type DiscordBot } from "./discord/index.ts";
export {
  CONFIRM_TEMPLATE,
  type ConfirmOutcome,
  confirmDoubleOptIn,
  DOUBLE_OPT_IN_SOURCE,
  type DoubleOptInDeps,
  type DoubleOptInRequest,
  requestDoubleOptIn,
} from "./double-opt-in.ts";
export { type DoubleOptInRoutesOptions, registerDoubleOptIn } from "./double-opt-in-routes.ts";
export {
  CONFIRM_PATH,
  CONFIRM_TTL_MS,
  type ConfirmLink,
  type ConfirmTokenContent,
  confirmToken,
  confirmUrl,
  readConfirmToken,
} from "./double-opt-in-token.ts";
export {
  createReceivedEmailFetcher,
  createResendChannel,
  decodeHeader,
  type EmailThread,
  emailReply,
  emailThreadOf,
  RESEND_WEBHOOK_PATH,
  type ResendChannelOptions,
  type ResendWebhookOptions,
  registerResendWebhook,
  registerUnsubscribe,
  UNSUBSCRIBE_PATH,
  type UnsubscribeRoutesOptions,
  type UnsubscribeTarget,
  unsubscribeHeaders,
  unsubscribeToken,
  unsubscribeUrl,
  verifyUnsubscribeToken,
} from "./email/index.ts";
export { captureEvent, type EventCaptureResult, type InboundEvent, parseInboundEvent } from "./events.ts";
export { type FirstTouch, recordFirstTouch } from "./first-touch.ts";
export { BOT_TEXTS, t } from "./i18n.ts";
export { resolveCustomerByEmail, resolveIdentity, type SenderProfile } from "./identity.ts";
export type { InboundHandler, InboundMessage } from "./inbound.ts";
export {
  type InboundFailureInput,
  InboundRetries,
  type InboundRetry,
  type RetryOutcome,
  recordInboundFailure,
  retryInboundFailure,
} from "./inbound-failures.ts";
export { issueLinkCode, redeemLinkCode } from "./linking.ts";
export {
  balanceOf,
  LOYALTY_REASONS,
  type LoyaltyReason,
  loyaltyHistory,
  redeemPoints,
} from "./loyalty-ledger.ts";
export { registerLoyaltyApi } from "./loyalty-route.ts";
export { attachContact, mergeCustomers, survivorOf } from "./merge.ts";
export { createOutboxChannel, OUTBOX_MAX_BATCH, type OutboxOptions } from "./outbox.ts";
export { compileReplies, loadReplies, type Replies } from "./replies.ts";
export type { BotReply, SendReply } from "./reply.ts";
export { createResponder, type Handled, type ResponderDeps } from "./responder.ts";
export {
  type CodeToCreate,
  type CouponTerms,
  type CreatedCodes,
  ShopCallError,
  type ShopCouponSettings,
  type ShopCoupons,
} from "./shop/coupons.ts";
export { connectedShop } from "./shop/coupons-connect.ts";
export { SHOPIFY_API_VERSION, shopifyCoupons } from "./shop/coupons-shopify.ts";
export { wooCommerceCoupons } from "./shop/coupons-woocommerce.ts";
export { registerEventsApi, SIGNATURE_HEADER } from "./shop/route.ts";
export { normalizeShopifyOrder, verifyShopifyHmac } from "./shop/shopify.ts";
export { registerShopWebhooks, type ShopWebhooksOptions } from "./shop/webhooks.ts";
export { normalizeWooCommerceOrder, verifyWooCommerceSignature } from "./shop/woocommerce.ts";
export { closeConversation, recordRating } from "./survey.ts";
export {
  createTelegramBot,
  startPolling,
  TELEGRAM_ALLOWED_UPDATES,
  type TelegramBotOptions,
} from "./telegram/bot.ts";
export { createTelegramChannel, type TelegramChannelOptions } from "./telegram/channel.ts";
export {
  registerTelegramWebhook,
  setTelegramWebhook,
  TELEGRAM_WEBHOOK_PATH,
  type TelegramWebhookOptions,
} from "./telegram/webhook.ts";
export {
  type RequestResult,
  requestEmailVerification,
  VERIFY_CODE_TTL_MS,
  VERIFY_MAX_ATTEMPTS,
  type VerificationDeps,
  type VerifyResult,
  verifyEmailCode,
} from "./verification.ts";
export { createWebchatChannel, registerWebchat, type WebchatOptions } from "./webchat/index.ts";
export { createXChannel, createXClient, createXListener, type XListener } from "./x/index.ts";
