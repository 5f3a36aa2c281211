export type { Channel, OutboundMessage, SentMessage } from "./channel.ts";
export { type CaptureResult, captureMessage, type InboundMessage } from "./conversation.ts";
export { createResendChannel, type ResendChannelOptions } from "./email/resend-channel.ts";
export { captureEvent, type EventCaptureResult, type InboundEvent, parseInboundEvent } from "./events.ts";
export { resolveCustomerByEmail, resolveIdentity, type SenderProfile } from "./identity.ts";
export { createOutboxChannel, type OutboxOptions } from "./outbox.ts";
export { registerEventsApi, SIGNATURE_HEADER } from "./shop/route.ts";
export { createTelegramBot, startPolling, type TelegramBotOptions } from "./telegram/bot.ts";
export { createTelegramChannel } from "./telegram/channel.ts";
