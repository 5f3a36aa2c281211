import type { CallbackQuery, Message, User } from "grammy/types";
import { commandForButtonData } from "../buttons.ts";
import type { SenderProfile } from "../identity.ts";
import type { InboundMessage } from "../inbound.ts";
import { addressedText, type BotIdentity, isAddressedToBot } from "./addressing.ts";

/** What normalising an update gave: a message for the core, or why there is none (logged, not an error). */
export type Normalised = { ok: true; message: InboundMessage } | { ok: false; reason: string };

const skip = (reason: string): Normalised => ({ ok: false, reason });

/**
 * Turns a Telegram message (or an edited one, `kind: "edit"`) into an `InboundMessage`.
 *
 * - Private chats: text, or a photo's/document's caption (the files kept as `attachments`); a contact the
 *   user shares of themselves gives `sharedPhone` in E.164 ("+48601234567") with text "", a contact card of
 *   someone else `claimedPhone` (an unverified claim, never merged).
 * - Groups and supergroups: only messages addressed to the bot (see {@link isAddressedToBot}), with the
 *   mention stripped; `threadRef` is the group, `replyTo` the message, the sender is the user.
 *
 * `externalId` is "chatId:messageId" (Telegram numbers messages per chat), so an edit carries the id of the
 * message it changes. An edit's `sentAt` is the edit's time (`edit_date`).
 */
export function toInboundMessage(message: Message, me: BotIdentity, kind: "message" | "edit"): Normalised {
  const from = message.from;
  if (!from || from.is_bot) return skip("no human sender");
  const chatId = String(message.chat.id);
  const base = {
    channel: "telegram" as const,
    externalId: `${chatId}:${message.message_id}`,
    sender: senderOf(from),
    threadRef: chatId,
    sentAt: new Date((kind === "edit" ? (message.edit_date ?? message.date) : message.date) * 1000),
    raw: toJson(message),
    ...(kind === "edit" ? { kind } : {}),
  };
  if (message.chat.type === "private") {
    if (message.contact) {
      const phone = toE164(message.contact.phone_number);
      if (!phone) return skip("a contact without a valid phone number");
      // Telegram fills user_id with the sender's own id only when they share their own card
      const own = message.contact.user_id === from.id;
      return {
        ok: true,
        message: { ...base, text: "", ...(own ? { sharedPhone: phone } : { claimedPhone: phone }) },
      };
    }
    const text = message.text ?? message.caption;
    if (text === undefined) return skip("no text or caption");
    return { ok: true, message: { ...base, text: addressedText(message, me), ...attachmentsOf(message) } };
  }
  if (message.chat.type === "group" || message.chat.type === "supergroup") {
    if ((message.text ?? message.caption) === undefined) return skip("no text or caption");
    if (!isAddressedToBot(message, me)) return skip("a group message not addressed to the bot");
    return {
      ok: true,
      message: {
        ...base,
        text: addressedText(message, me),
        replyTo: String(message.message_id),
        ...attachmentsOf(message),
      },
    };
  }
  return skip(`a ${message.chat.type} chat`);
}

/**
 * Turns an inline button press into the command it stands for ("rate:4" → text "/rate 4", externalId
 * "cb:<query id>"). Callback queries carry no date, so `now` stamps it.
 */
export function callbackToInbound(query: CallbackQuery, now: Date): Normalised {
  const text = commandForButtonData(query.data);
  if (!text) return skip(`unknown button data ${JSON.stringify(query.data ?? null)}`);
  if (query.from.is_bot) return skip("no human sender");
  const chatId = String(query.message?.chat.id ?? query.from.id);
  return {
    ok: true,
    message: {
      channel: "telegram",
      externalId: `cb:${query.id}`,
      sender: senderOf(query.from),
      threadRef: chatId,
      text,
      sentAt: now,
      raw: toJson(query),
    },
  };
}

/**
 * A phone number as Telegram sends it ("48601234567", sometimes "+48 601 234 567") in E.164 with "+", or
 * `undefined` when it is not 8 to 15 digits.
 */
export function toE164(phone: string): string | undefined {
  const digits = phone.replace(/[\s()+-]/g, "");
  return /^[1-9]\d{7,14}$/.test(digits) ? `+${digits}` : undefined;
}

/** The user as a profile. Their id is also their private chat's id, so groups and DMs resolve to one person. */
function senderOf(user: User): SenderProfile {
  const displayName = [user.first_name, user.last_name].filter(Boolean).join(" ") || undefined;
  return { externalId: String(user.id), handle: user.username, displayName, locale: user.language_code };
}

function attachmentsOf(message: Message): Pick<InboundMessage, "attachments"> {
  const files: Array<{ kind: string; fileId: string; name?: string }> = [];
  const photo = message.photo?.at(-1);
  if (photo) files.push({ kind: "photo", fileId: photo.file_id });
  if (message.document) {
    const name = message.document.file_name;
    files.push({ kind: "document", fileId: message.document.file_id, ...(name ? { name } : {}) });
  }
  return files.length ? { attachments: files } : {};
}

function toJson(value: unknown): NonNullable<InboundMessage["raw"]> {
  return JSON.parse(JSON.stringify(value));
}
