import type { Api } from "grammy";
import type { Channel, OutboundMessage, SentMessage } from "../channel.ts";
import { toSendError } from "./errors.ts";

/**
 * Telegram as an outbound channel: one `sendMessage` per message. Telegram has no idempotency key, so
 * exactly-once rests on the Delivery row's status. Its bulk limit is about 30 messages per second (we keep
 * 25) and 1 per second per chat.
 */
export function createTelegramChannel(api: Api): Channel {
  return {
    name: "telegram",
    limit: { max: 25, durationMs: 1_000 },
    async send(message: OutboundMessage): Promise<SentMessage> {
      try {
        const replyTo = message.replyTo ? Number(message.replyTo.split(":").pop()) : undefined;
        const sent = await api.sendMessage(message.to, message.text, {
          link_preview_options: { is_disabled: true },
          ...(replyTo
            ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
            : {}),
        });
        return { providerId: `${sent.chat.id}:${sent.message_id}` };
      } catch (error) {
        throw toSendError(error, message.deliveryId);
      }
    },
  };
}
