import type { Api } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import type { Channel, OutboundMessage, SendOptions, SentMessage } from "../channel.ts";
import { toSendError } from "./errors.ts";
import { type ChatPacerOptions, createChatPacer } from "./pacing.ts";

const BUTTONS_PER_ROW = 5;

/** Options for {@link createTelegramChannel}: the per-chat pacing. */
export type TelegramChannelOptions = ChatPacerOptions;

/**
 * Telegram as an outbound channel: one `sendMessage` per message, with `buttons` as an inline keyboard
 * (rows of at most five; a button's `value` is its callback data, at most 64 bytes). Telegram has no
 * idempotency key: the deliverer sends at most once (a send whose answer never came is not repeated). Its
 * bulk limit is about 30 messages per second (we keep 25, enforced by the deliver queue) and 1 per second
 * per chat (20 per minute per group), which the channel keeps itself: sends to one chat are queued and
 * spaced (see `createChatPacer`). A 429 becomes `RateLimitedError` with Telegram's `retry_after`.
 */
export function createTelegramChannel(api: Api, options: TelegramChannelOptions = {}): Channel {
  const pacer = createChatPacer(options);
  return {
    name: "telegram",
    limit: { max: 25, durationMs: 1_000 },
    send(message: OutboundMessage, _key: string, options?: SendOptions): Promise<SentMessage> {
      const signal = options?.signal;
      return pacer.run(
        message.to,
        async () => {
          try {
            const replyTo = message.replyTo ? Number(message.replyTo.split(":").pop()) : undefined;
            const markup = inlineKeyboard(message.buttons);
            const sent = await api.sendMessage(
              message.to,
              message.text,
              {
                link_preview_options: { is_disabled: true },
                ...(replyTo
                  ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
                  : {}),
                ...(markup ? { reply_markup: markup } : {}),
              },
              // grammY types its signal as the abort-controller package's; it takes the platform's
              signal as Parameters<Api["sendMessage"]>[3],
            );
            return { providerId: `${sent.chat.id}:${sent.message_id}` };
          } catch (error) {
            throw toSendError(error, message.deliveryId);
          }
        },
        signal,
      );
    },
  };
}

function inlineKeyboard(buttons: OutboundMessage["buttons"]): InlineKeyboardMarkup | undefined {
  if (!buttons?.length) return undefined;
  const rows: InlineKeyboardMarkup["inline_keyboard"] = [];
  for (let i = 0; i < buttons.length; i += BUTTONS_PER_ROW) {
    rows.push(buttons.slice(i, i + BUTTONS_PER_ROW).map((b) => ({ text: b.label, callback_data: b.value })));
  }
  return { inline_keyboard: rows };
}
