import type { Message } from "grammy/types";
import type { InboundMessage } from "../conversation.ts";

/**
 * Turns a Telegram message into an `InboundMessage`, or `undefined` for what the bot does not capture
 * (service messages, messages without text or caption). The message id is qualified by the chat, because
 * Telegram numbers messages per chat.
 */
export function toInboundMessage(message: Message): InboundMessage | undefined {
  const text = message.text ?? message.caption;
  if (text === undefined || !message.from) return undefined;
  const chatId = String(message.chat.id);
  const from = message.from;
  const displayName = [from.first_name, from.last_name].filter(Boolean).join(" ") || undefined;
  return {
    channel: "telegram",
    externalId: `${chatId}:${message.message_id}`,
    sender: {
      externalId: message.chat.type === "private" ? chatId : String(from.id),
      handle: from.username,
      displayName,
      locale: from.language_code,
    },
    threadRef: chatId,
    text,
    sentAt: new Date(message.date * 1000),
    attachments: attachmentsOf(message),
    raw: JSON.parse(JSON.stringify(message)),
  };
}

function attachmentsOf(message: Message): InboundMessage["attachments"] {
  const files: Array<{ kind: string; fileId: string; name?: string }> = [];
  const photo = message.photo?.at(-1);
  if (photo) files.push({ kind: "photo", fileId: photo.file_id });
  if (message.document)
    files.push({ kind: "document", fileId: message.document.file_id, name: message.document.file_name });
  return files.length ? files : undefined;
}
