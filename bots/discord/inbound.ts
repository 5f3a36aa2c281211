import type { InboundMessage } from "../inbound.ts";
import type { DiscordUser, MessageCreate } from "./payloads.ts";

/** Message types a person writes: 0 DEFAULT and 19 REPLY. The rest are system notices (joins, pins, boosts). */
const PERSON_MESSAGE_TYPES = new Set([0, 19]);

/** Why a Discord message was not captured. Expected outcomes, not errors. */
export type SkipReason = "from_bot" | "system_message" | "not_addressed" | "empty";

/** What to do with one MESSAGE_CREATE. */
export type MessageDecision =
  | { kind: "capture"; message: InboundMessage }
  | { kind: "skip"; reason: SkipReason };

/**
 * Decides whether a message is for the brand and normalises it. DMs are always captured; in a guild only a
 * message that mentions the bot or replies to one of its messages is, with the mention taken out of the text.
 * Bots (the brand's own included) and webhooks are ignored, so two bots can never talk to each other forever.
 */
export function decideMessage(payload: MessageCreate, botUserId: string): MessageDecision {
  if (payload.author.bot || payload.author.id === botUserId || payload.webhook_id !== undefined) {
    return { kind: "skip", reason: "from_bot" };
  }
  if (!PERSON_MESSAGE_TYPES.has(payload.type)) return { kind: "skip", reason: "system_message" };
  let text = payload.content;
  if (payload.guild_id !== undefined) {
    const mentioned = payload.mentions.some((user) => user.id === botUserId);
    const repliesToBot = payload.referenced_message?.author.id === botUserId;
    if (!mentioned && !repliesToBot) return { kind: "skip", reason: "not_addressed" };
    text = stripMention(text, botUserId);
  }
  const attachments = payload.attachments.map((a) => ({
    kind: "file",
    name: a.filename,
    url: a.url,
    ...(a.content_type ? { contentType: a.content_type } : {}),
  }));
  if (text.trim() === "" && attachments.length === 0) return { kind: "skip", reason: "empty" };
  return {
    kind: "capture",
    message: {
      channel: "discord",
      // snowflakes are unique across all of Discord, so the message id alone identifies the message
      externalId: payload.id,
      sender: senderOf(payload.author),
      // in a thread, channel_id is the thread's id: the answer lands in the same thread
      threadRef: payload.channel_id,
      text,
      sentAt: new Date(payload.timestamp),
      replyTo: payload.id,
      attachments: attachments.length ? attachments : undefined,
      raw: JSON.parse(JSON.stringify(payload)),
    },
  };
}

/** Removes `<@botId>` and `<@!botId>` (the old nickname form) and the spaces they leave. */
export function stripMention(text: string, botUserId: string): string {
  return text
    .replace(new RegExp(`<@!?${botUserId}>`, "g"), " ")
    .replace(/[ \t]{2,}/g, " ")
    .trim();
}

/** The customer as Discord shows them: the display name they chose, else their username. */
export function senderOf(user: DiscordUser, locale?: string): InboundMessage["sender"] {
  return {
    externalId: user.id,
    handle: user.username,
    displayName: user.global_name ?? user.username,
    avatarUrl: avatarUrl(user),
    ...(locale ? { locale } : {}),
  };
}

/** The CDN URL of a user's avatar; animated hashes ("a_…") are GIFs; no avatar means Discord's default one. */
export function avatarUrl(user: DiscordUser): string {
  if (!user.avatar) {
    // new usernames (discriminator "0") pick one of six default avatars from the id
    return `https://cdn.discordapp.com/embed/avatars/${Number((BigInt(user.id) >> 22n) % 6n)}.png`;
  }
  const extension = user.avatar.startsWith("a_") ? "gif" : "png";
  return `https://cdn.discordapp.com/avatars/${user.id}/${user.avatar}.${extension}`;
}
