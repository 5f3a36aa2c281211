import type { APIApplicationCommand, APIMessage, APIUser } from "discord.js";
import { buildUser, type FakeGuild, type SnowflakeFactory } from "./discord-payloads.ts";

/** An interaction the fake dispatched and may still be answered. */
export interface PendingInteraction {
  id: string;
  token: string;
  channelId: string;
  /** When it was dispatched, from the fake's clock: Discord drops interactions not answered within 3 s. */
  at: number;
  acknowledged: boolean;
  /** The message the deferred or immediate response became, once edited or created. */
  original?: APIMessage;
}

/** One response to an interaction: the callback, a later edit of @original, or its deletion. */
export interface InteractionResponse {
  interactionId: string;
  /** "callback" for `POST /interactions/{id}/{token}/callback`, "edit"/"delete" for `@original`. */
  kind: "callback" | "edit" | "delete";
  /** Callback type (4 = message, 5 = deferred message, …); undefined for edits and deletes. */
  type?: number;
  /** The callback's `data` or the edit's body. */
  data?: Record<string, unknown>;
  /** ms after the interaction was dispatched. */
  afterMs: number;
}

/** Everything the fake Discord knows: users, channels, messages, commands, interactions. */
export class DiscordState {
  readonly users = new Map<string, APIUser>();
  /** Channel id → guild id, or undefined for DMs. */
  readonly channels = new Map<string, string | undefined>();
  /** User id → their DM channel with the bot. */
  readonly dmChannels = new Map<string, string>();
  readonly messages = new Map<string, APIMessage>();
  readonly sentMessages: APIMessage[] = [];
  /** Nonces of the bot's messages (channel:nonce → message), for `enforce_nonce`. */
  readonly nonces = new Map<string, APIMessage>();
  commands: APIApplicationCommand[] = [];
  readonly interactions = new Map<string, PendingInteraction>();
  readonly interactionResponses: InteractionResponse[] = [];

  constructor(
    readonly ids: SnowflakeFactory,
    readonly bot: APIUser,
    readonly guild: FakeGuild,
    readonly now: () => number,
  ) {
    this.users.set(bot.id, bot);
    this.channels.set(guild.channelId, guild.id);
    this.channels.set(guild.threadId, guild.id);
  }

  /** The user with this id, created with defaults if the fake has not seen them. */
  user(id: string): APIUser {
    let user = this.users.get(id);
    if (user === undefined) {
      user = buildUser({ id }, this.ids);
      this.users.set(id, user);
    }
    return user;
  }

  /** The DM channel between the bot and `userId`, opened on first use. */
  dmChannelOf(userId: string): string {
    let id = this.dmChannels.get(userId);
    if (id === undefined) {
      id = this.ids.next();
      this.dmChannels.set(userId, id);
      this.channels.set(id, undefined);
    }
    return id;
  }

  isoNow(): string {
    return new Date(this.now()).toISOString();
  }
}
