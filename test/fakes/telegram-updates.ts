import type { Chat, Message, MessageEntity, User } from "grammy/types";

/** A chat a user can write to a bot from (channels have no sender). */
export type UserChat = Exclude<Chat, Chat.ChannelChat>;

/** A message as it appears in a `message` update: always with a sender and a non-channel chat. */
export type UserMessage<M extends Message = Message> = M & { chat: UserChat; from: User };

/** Who writes to the bot, and where. Shared by every incoming-message builder. */
export interface IncomingMessageInput {
  /** Chat the message is in. A private chat's id equals the user's id; groups are negative. */
  chatId: number;
  /** Sender's user id. Defaults to `chatId`, which only fits a private chat: required in groups. */
  fromId?: number;
  /** Sender's first name. Defaults to "Ada". */
  firstName?: string;
  lastName?: string;
  /** Sender's @username, without the "@". Omitted by default, as many users have none. */
  username?: string;
  /** IETF language tag of the sender's Telegram client, e.g. "de". Defaults to "en". */
  languageCode?: string;
  /** Unix time in seconds. Defaults to the fake's clock. */
  date?: number;
  /** Defaults to "private" for a positive `chatId`, "supergroup" for "-100…" ids, else "group". */
  chatType?: "private" | "group" | "supergroup";
  /** Title of a group or supergroup. Defaults to "Test group". */
  chatTitle?: string;
}

/** What an incoming text message says. */
export interface TextMessageInput extends IncomingMessageInput {
  text: string;
  /** A message in the same chat this one replies to (the user's or the bot's); the fake embeds it. */
  replyToMessageId?: number;
}

/** The sender as Telegram describes a human user in updates. */
export function buildUser(input: IncomingMessageInput): User {
  const id = input.fromId ?? input.chatId;
  if (id <= 0) {
    throw new Error(`Fake Telegram: a message in group ${input.chatId} needs a fromId (a positive user id)`);
  }
  const user: User = {
    id,
    is_bot: false,
    first_name: input.firstName ?? "Ada",
    language_code: input.languageCode ?? "en",
  };
  if (input.lastName !== undefined) user.last_name = input.lastName;
  if (input.username !== undefined) user.username = input.username;
  return user;
}

/** The chat object Telegram embeds in a message. */
export function buildChat(input: IncomingMessageInput): UserChat {
  const type = input.chatType ?? defaultChatType(input.chatId);
  if (type === "private") {
    const chat: Chat.PrivateChat = { id: input.chatId, type, first_name: input.firstName ?? "Ada" };
    if (input.lastName !== undefined) chat.last_name = input.lastName;
    if (input.username !== undefined) chat.username = input.username;
    return chat;
  }
  return { id: input.chatId, type, title: input.chatTitle ?? "Test group" };
}

function defaultChatType(chatId: number): UserChat["type"] {
  if (chatId > 0) return "private";
  return String(chatId).startsWith("-100") ? "supergroup" : "group";
}

/**
 * Entities Telegram attaches to a text. Only commands are detected: a `/word` at the start of
 * the text or after whitespace, including an `@botname` suffix. Offsets are UTF-16 code units,
 * as in the Bot API.
 */
export function commandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const match of text.matchAll(/(^|\s)(\/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?)/g)) {
    const offset = (match.index ?? 0) + (match[1]?.length ?? 0);
    entities.push({ type: "bot_command", offset, length: match[2]?.length ?? 0 });
  }
  return entities;
}

/**
 * `mention` entities Telegram attaches to a text: an "@username" (5–32 letters, digits or underscores) at
 * the start of the text or after a character that cannot be part of a word, a command or an address.
 */
export function mentionEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const match of text.matchAll(/(^|[^\w@/])(@[A-Za-z0-9_]{5,32})(?!\w)/g)) {
    const offset = (match.index ?? 0) + (match[1]?.length ?? 0);
    entities.push({ type: "mention", offset, length: match[2]?.length ?? 0 });
  }
  return entities;
}

/** A text message from a user, with `bot_command` and `mention` entities where the text has them. */
export function buildTextMessage(
  input: TextMessageInput & { messageId: number; date: number },
): UserMessage<Message.TextMessage> {
  const message: UserMessage<Message.TextMessage> = {
    message_id: input.messageId,
    from: buildUser(input),
    chat: buildChat(input),
    date: input.date,
    text: input.text,
  };
  const entities = [...commandEntities(input.text), ...mentionEntities(input.text)].sort(
    (a, b) => a.offset - b.offset,
  );
  if (entities.length > 0) message.entities = entities;
  return message;
}

/** What a user shares with the "share my phone number" keyboard button. */
export interface ContactMessageInput extends IncomingMessageInput {
  /** E.164 without the "+", as Telegram sends it, e.g. "4915112345678". */
  phoneNumber: string;
  /** User id of the contact. Defaults to the sender, i.e. the user shared their own number. */
  contactUserId?: number;
}

/** A message carrying a shared contact. */
export function buildContactMessage(
  input: ContactMessageInput & { messageId: number; date: number },
): UserMessage<Message.ContactMessage> {
  const sender = buildUser(input);
  const contact: Message.ContactMessage["contact"] = {
    phone_number: input.phoneNumber,
    first_name: sender.first_name,
    user_id: input.contactUserId ?? sender.id,
  };
  if (sender.last_name !== undefined) contact.last_name = sender.last_name;
  return {
    message_id: input.messageId,
    from: sender,
    chat: buildChat(input),
    date: input.date,
    contact,
  };
}

/** A press on an inline keyboard button under one of the bot's messages. */
export interface CallbackQueryInput extends IncomingMessageInput {
  /** The button's `callback_data`. */
  data: string;
  /** The bot's message that carried the button. Defaults to the last message the fake sent to the chat. */
  messageId?: number;
}
