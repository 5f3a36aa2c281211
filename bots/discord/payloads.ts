import { z } from "zod";

/**
 * The parts of Discord's gateway payloads the adapter reads, validated with zod. Objects are loose: Discord
 * adds fields without notice, and a new field must never make a message unreadable.
 */

/** A Discord id: a 64-bit integer sent as a decimal string. */
export const Snowflake = z.string().regex(/^\d{15,21}$/, "a Discord snowflake");

/** A user object (author, interaction user). */
export const DiscordUser = z.looseObject({
  id: Snowflake,
  username: z.string(),
  global_name: z.string().nullish(),
  avatar: z.string().nullish(),
  bot: z.boolean().optional(),
});
export type DiscordUser = z.infer<typeof DiscordUser>;

/** An attachment on a message: files and images the customer sent. */
export const DiscordAttachment = z.looseObject({
  id: Snowflake,
  filename: z.string(),
  url: z.string(),
  content_type: z.string().optional(),
  size: z.number().optional(),
});

/** MESSAGE_CREATE's data: a message object plus `guild_id`, `member` and `mentions` (gateway extra fields). */
export const MessageCreate = z.looseObject({
  id: Snowflake,
  channel_id: Snowflake,
  guild_id: Snowflake.optional(),
  author: DiscordUser,
  content: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  /** 0 DEFAULT, 19 REPLY; everything else is a system message (joins, pins, boosts). */
  type: z.number().int(),
  webhook_id: Snowflake.optional(),
  mentions: z.array(z.looseObject({ id: Snowflake })).default([]),
  message_reference: z.looseObject({ message_id: Snowflake.optional() }).optional(),
  /** The replied-to message; null when it was deleted. */
  referenced_message: z.looseObject({ id: Snowflake, author: z.looseObject({ id: Snowflake }) }).nullish(),
  attachments: z.array(DiscordAttachment).default([]),
});
export type MessageCreate = z.infer<typeof MessageCreate>;

/** One option of a slash command as the user filled it in. */
export const CommandOption = z.looseObject({
  name: z.string(),
  type: z.number().int(),
  value: z.union([z.string(), z.number(), z.boolean()]).optional(),
});

/** INTERACTION_CREATE's data for type 2 (APPLICATION_COMMAND): a slash command a user ran. */
export const CommandInteraction = z
  .looseObject({
    id: Snowflake,
    application_id: Snowflake,
    type: z.literal(2),
    token: z.string().min(1),
    channel_id: Snowflake,
    guild_id: Snowflake.optional(),
    /** The user's client language ("pl", "en-US"); messages carry none, interactions do. */
    locale: z.string().optional(),
    /** In a guild: the member, with its user. */
    member: z.looseObject({ user: DiscordUser }).optional(),
    /** In a DM: the user. */
    user: DiscordUser.optional(),
    data: z.looseObject({ name: z.string(), options: z.array(CommandOption).optional() }),
  })
  .refine((i) => i.member?.user ?? i.user, { message: "neither member.user nor user is present" });
export type CommandInteraction = z.infer<typeof CommandInteraction>;

/** A press on a button of the bot's message (INTERACTION_CREATE type 3, MESSAGE_COMPONENT). */
export const ButtonInteraction = z
  .looseObject({
    id: Snowflake,
    application_id: Snowflake,
    type: z.literal(3),
    token: z.string().min(1),
    channel_id: Snowflake,
    locale: z.string().optional(),
    member: z.looseObject({ user: DiscordUser }).optional(),
    user: DiscordUser.optional(),
    data: z.looseObject({ custom_id: z.string().max(100), component_type: z.literal(2) }),
  })
  .refine((i) => i.member?.user ?? i.user, { message: "neither member.user nor user is present" });
export type ButtonInteraction = z.infer<typeof ButtonInteraction>;
