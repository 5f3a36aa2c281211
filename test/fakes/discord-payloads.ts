import { randomBytes } from "node:crypto";
import type {
  APIChannel,
  APIGuildMember,
  APIMessage,
  APIRole,
  APIUser,
  GatewayGuildCreateDispatchData,
} from "discord.js";

/** Discord's epoch (2015-01-01T00:00:00Z) in ms: snowflakes count from it. */
export const DISCORD_EPOCH = 1_420_070_400_000;

/** Makes Discord snowflakes: 42 bits of ms since the Discord epoch, then a 22-bit increment. */
export class SnowflakeFactory {
  #increment = 0n;
  constructor(private readonly now: () => number) {}

  next(): string {
    this.#increment = (this.#increment + 1n) & 0xfffn;
    // worker and process bits left at 1 so ids look like Discord's (never a small integer)
    return (
      (BigInt(this.now() - DISCORD_EPOCH) << 22n) |
      (1n << 17n) |
      (1n << 12n) |
      this.#increment
    ).toString();
  }
}

/** The parts of a Discord user a test cares about; the rest is filled in. */
export interface UserInput {
  id?: string;
  /** Unique lowercase handle. Defaults to "user<last digits of id>". */
  username?: string;
  /** The display name the user chose, or null. Defaults to null. */
  globalName?: string | null;
  /** Avatar hash (32 hex chars, "a_" prefix when animated), or null. Defaults to null. */
  avatar?: string | null;
  bot?: boolean;
}

/** A user object as Discord sends it (v10: discriminator "0" for migrated usernames). */
export function buildUser(input: UserInput, ids: SnowflakeFactory): APIUser {
  const id = input.id ?? ids.next();
  return {
    id,
    username: input.username ?? `user${id.slice(-6)}`,
    discriminator: "0",
    global_name: input.globalName ?? null,
    avatar: input.avatar ?? null,
    // enum-typed bit fields: 0 means "no flags"
    public_flags: 0 as NonNullable<APIUser["public_flags"]>,
    flags: 0 as NonNullable<APIUser["flags"]>,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    ...(input.bot ? { bot: true } : {}),
  };
}

/** A random avatar hash, as Discord's CDN names avatars. */
export function avatarHash(): string {
  return randomBytes(16).toString("hex");
}

/** A guild member without its user, as in MESSAGE_CREATE's `member` and mentions' `member`. */
export function buildMember(joinedAt: string): Omit<APIGuildMember, "user"> {
  return {
    nick: null,
    avatar: null,
    banner: null,
    roles: [],
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0 as APIGuildMember["flags"],
    pending: false,
    communication_disabled_until: null,
  };
}

/** The test guild: one text channel and one active public thread in it. */
export interface FakeGuild {
  id: string;
  name: string;
  /** The #general text channel. */
  channelId: string;
  /** An active public thread under #general. */
  threadId: string;
}

/** A GUILD_CREATE payload for the test guild, complete enough for discord.js to cache it. */
export function buildGuildCreate(
  guild: FakeGuild,
  bot: APIUser,
  joinedAt: string,
): GatewayGuildCreateDispatchData {
  const everyone: APIRole = {
    id: guild.id,
    name: "@everyone",
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: 0,
    permissions: "1071698660929",
    managed: false,
    mentionable: false,
    flags: 0 as APIRole["flags"],
  };
  const text = {
    id: guild.channelId,
    type: 0,
    guild_id: guild.id,
    name: "general",
    position: 0,
    permission_overwrites: [],
    nsfw: false,
    topic: null,
    last_message_id: null,
    parent_id: null,
    rate_limit_per_user: 0,
    flags: 0,
  };
  const thread = {
    id: guild.threadId,
    type: 11,
    guild_id: guild.id,
    parent_id: guild.channelId,
    owner_id: bot.id,
    name: "order-help",
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    total_message_sent: 0,
    flags: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: joinedAt,
      locked: false,
      create_timestamp: joinedAt,
    },
  };
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: bot.id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [everyone],
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: guild.channelId,
    system_channel_flags: 0,
    rules_channel_id: null,
    max_members: 500_000,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: "en-US",
    public_updates_channel_id: null,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    hub_type: null,
    incidents_data: null,
    joined_at: joinedAt,
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [{ ...buildMember(joinedAt), user: bot }],
    channels: [text],
    threads: [thread],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  } as unknown as GatewayGuildCreateDispatchData;
}

/** A DM channel object, as `POST /users/@me/channels` returns it. */
export function buildDmChannel(id: string, recipient: APIUser): APIChannel {
  return { id, type: 1, last_message_id: null, flags: 0, recipients: [recipient] } as unknown as APIChannel;
}

/** The fields every message object carries, around the ones that vary. */
export function baseMessage(fields: {
  id: string;
  channelId: string;
  author: APIUser;
  content: string;
  timestamp: string;
}): APIMessage {
  return {
    id: fields.id,
    type: 0,
    channel_id: fields.channelId,
    author: fields.author,
    content: fields.content,
    timestamp: fields.timestamp,
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    flags: 0 as NonNullable<APIMessage["flags"]>,
    components: [],
  };
}
