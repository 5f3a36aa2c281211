export * from "./discord.ts";
export { envFor, type Fakes, inlineButtonsOf } from "./env.ts";
export { type LocalServer, readText, sendJson, startLocalServer } from "./http.ts";
export {
  type FakeResend,
  type FakeResendOptions,
  type ResendFailure,
  type ResendRequest,
  type StoredEmail,
  startFakeResend,
} from "./resend.ts";
export {
  type ReceivedAttachment,
  type ReceivedEmailInput,
  receivedEmailRecord,
  receivedWebhookData,
  type StoredReceivedEmail,
} from "./resend-inbound.ts";
export {
  newWebhookSecret,
  type ResendWebhookEventInput,
  svixSignature,
  type WebhookCall,
  type WebhookSendOptions,
} from "./resend-webhooks.ts";
export {
  type FakeTelegram,
  type FakeTelegramOptions,
  startFakeTelegram,
  type TelegramCall,
  type TelegramFailure,
  type WebhookDelivery,
} from "./telegram.ts";
export { TELEGRAM_LIMITS } from "./telegram-limits.ts";
export {
  buildChat,
  buildContactMessage,
  buildTextMessage,
  buildUser,
  type CallbackQueryInput,
  type ContactMessageInput,
  commandEntities,
  type IncomingMessageInput,
  mentionEntities,
  type TextMessageInput,
} from "./telegram-updates.ts";
export {
  type FakeTwilioSms,
  startFakeTwilioSms,
  type TwilioSmsFailure,
  type TwilioSmsSent,
  twilioSignature,
} from "./twilio-sms.ts";
export {
  type FakeWhatsApp,
  type FakeWhatsAppOptions,
  hubSignature,
  startFakeWhatsApp,
  type WhatsAppCall,
  type WhatsAppContactInput,
  type WhatsAppFailure,
  type WhatsAppSent,
} from "./whatsapp.ts";
export * from "./x.ts";
