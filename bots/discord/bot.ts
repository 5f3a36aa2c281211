import { once } from "node:events";
import {
  Client,
  DiscordjsError,
  DiscordjsErrorCodes,
  Events,
  GatewayDispatchEvents,
  GatewayIntentBits,
  Routes,
} from "discord.js";
import { type Clock, systemClock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { ConfigError } from "../../lib/errors.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Channel } from "../channel.ts";
import type { InboundHandler, InboundMessage } from "../inbound.ts";
import { type InboundRetries, recordInboundFailure } from "../inbound-failures.ts";
import { createDiscordChannel } from "./channel.ts";
import { SLASH_COMMANDS } from "./commands.ts";
import { TOKEN_FIX } from "./errors.ts";
import { decideMessage } from "./inbound.ts";
import { createInteractionHandler } from "./interactions.ts";
import { MessageCreate } from "./payloads.ts";
import { SerialQueues } from "./serial.ts";

/** Options for {@link createDiscordBot}. */
export interface DiscordBotOptions {
  /** The bot token (DISCORD_BOT_TOKEN). */
  token: string;
  /**
   * REST API root, without the version. Defaults to https://discord.com/api. The gateway's address is not an
   * option: Discord announces it in `GET /gateway/bot`, so pointing REST at a server points the gateway too.
   */
  restUrl?: string;
  /** Receives every captured message and slash command; resolves once the message is stored (and answered). */
  onMessage: InboundHandler;
  log: Logger;
  /**
   * The text of the private answer to a slash command, decided after `onMessage` has resolved, in the
   * command's `sender.locale`. Undefined (or no callback) removes the "thinking…" placeholder: the core's
   * answer then arrives as an ordinary message through the Discord channel.
   */
  onCommandReply?: (command: InboundMessage) => Promise<string | undefined> | string | undefined;
  /** Registers /help, /stop and /rate on start. Defaults to true. */
  registerCommands?: boolean;
  /**
   * Where a message or command that cannot be stored is kept (`InboundFailure`, channel "discord", the
   * normalised message), so nothing after it waits. Unset: it is only logged.
   */
  db?: Db;
  /** Where the bot registers how its kept messages are retried: handed to `onMessage` again. */
  retries?: InboundRetries;
  /** Dates the kept failures. Defaults to the system clock. */
  clock?: Clock;
}

/** A Discord bot: the discord.js client, the outbound channel, and its lifecycle. */
export interface DiscordBot {
  readonly client: Client;
  /** Sends with the same token and REST root; see {@link createDiscordChannel}. */
  readonly channel: Channel;
  /** Logs in, waits for the gateway to be ready, and registers the slash commands. */
  start(): Promise<void>;
  /** Disconnects, after the messages being handled have been. */
  stop(): Promise<void>;
}

/**
 * Intents: guild list, guild messages and DMs, and MESSAGE_CONTENT (privileged: it must be switched on in the
 * Developer Portal, or Discord sends guild messages with empty text).
 */
const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
];

/** Gateway close codes that mean an operator has to act, with what to do. */
const FATAL_CLOSE_CODES: Record<number, string> = {
  4004: `DISCORD_BOT_TOKEN was refused by the Discord gateway (4004): ${TOKEN_FIX}`,
  4014: "Discord refused the Message Content intent (4014): enable it in the Developer Portal (Applications → your app → Bot → Privileged Gateway Intents → Message Content Intent)",
};

/**
 * The Discord adapter. It reads MESSAGE_CREATE and INTERACTION_CREATE straight from the gateway, validates
 * them with zod and hands normalised messages to `onMessage`; a malformed payload is logged with its body
 * and skipped. Heartbeats, RESUME after a dropped connection and REST rate limits are discord.js's.
 * Messages of one channel are handled one after another, in gateway order.
 */
export function createDiscordBot(options: DiscordBotOptions): DiscordBot {
  const log = options.log.child({ component: "discord" });
  // DMs are read from raw dispatches, so discord.js needs no partial DM channels in its cache
  const client = new Client({
    intents: INTENTS,
    ...(options.restUrl ? { rest: { api: options.restUrl } } : {}),
  });
  const queues = new SerialQueues();
  let botUserId: string | undefined;

  const clock = options.clock ?? systemClock;
  // a message that cannot be stored is kept before the error goes on to be logged: the next one is not held up
  const deliver = async (message: InboundMessage): Promise<void> => {
    try {
      await options.onMessage(message);
    } catch (error) {
      if (options.db) {
        const failure = { channel: "discord", sourceKey: message.externalId, payload: message, error };
        await recordInboundFailure(options.db, failure, new Date(clock.now())).catch((keepError: unknown) =>
          log.error(
            { err: keepError, externalId: message.externalId },
            "failed Discord message not kept either",
          ),
        );
      }
      throw error;
    }
  };
  options.retries?.register("discord", async (payload) => {
    const message = JSON.parse(payload) as InboundMessage & { sentAt: string };
    await options.onMessage({ ...message, sentAt: new Date(message.sentAt) });
  });
  const interactions = createInteractionHandler({
    rest: client.rest,
    log,
    queues,
    deliver,
    reply: options.onCommandReply,
  });

  client.ws.on(GatewayDispatchEvents.Ready, (data: { user?: { id?: string } }) => {
    botUserId = data.user?.id;
  });
  client.ws.on(GatewayDispatchEvents.MessageCreate, (data: unknown) => {
    const parsed = MessageCreate.safeParse(data);
    if (!parsed.success) {
      log.warn({ raw: data, issues: parsed.error.issues }, "skipped a malformed Discord MESSAGE_CREATE");
      return;
    }
    if (botUserId === undefined) return;
    const decision = decideMessage(parsed.data, botUserId);
    if (decision.kind === "skip") {
      log.debug({ messageId: parsed.data.id, reason: decision.reason }, "discord message skipped");
      return;
    }
    queues.run(decision.message.threadRef, async () => {
      try {
        await deliver(decision.message);
      } catch (error) {
        // a failed capture is logged with the message and skipped: the bot keeps running
        log.error({ err: error, raw: data }, "discord message failed");
      }
    });
  });
  client.ws.on(GatewayDispatchEvents.InteractionCreate, (data: unknown) => interactions.handle(data));

  client.on(Events.ShardDisconnect, (event) => {
    log.error({ code: event.code }, FATAL_CLOSE_CODES[event.code] ?? "the Discord gateway closed for good");
  });
  client.on(Events.ShardReconnecting, () => log.info("discord gateway reconnecting"));
  client.on(Events.ShardResume, (_shard, replayed) => log.info({ replayed }, "discord gateway resumed"));
  client.on(Events.ShardError, (error) => log.warn({ err: error }, "discord gateway error"));
  client.on(Events.Error, (error) => log.error({ err: error }, "discord client error"));

  async function registerCommands(): Promise<void> {
    const applicationId = client.application?.id;
    if (!applicationId) return;
    try {
      await client.rest.put(Routes.applicationCommands(applicationId), { body: SLASH_COMMANDS });
      log.info({ commands: SLASH_COMMANDS.map((c) => c.name) }, "discord slash commands registered");
    } catch (error) {
      // messages still work without commands: report how to fix it and go on
      log.error(
        { err: error },
        "could not register Discord slash commands: invite the bot with the applications.commands scope",
      );
    }
  }

  return {
    client,
    channel: createDiscordChannel({ token: options.token, restUrl: options.restUrl }),
    async start() {
      const ready = once(client, Events.ClientReady);
      try {
        await client.login(options.token);
      } catch (error) {
        client.destroy().catch(() => undefined);
        if (error instanceof DiscordjsError && error.code === DiscordjsErrorCodes.TokenInvalid) {
          throw new ConfigError(
            `DISCORD_BOT_TOKEN was refused by Discord (401): ${TOKEN_FIX}`,
            "DISCORD_BOT_TOKEN",
          );
        }
        // the gateway refused IDENTIFY: @discordjs/ws reports these close codes as plain errors
        const message = error instanceof Error ? error.message : "";
        if (message === "Authentication failed")
          throw new ConfigError(FATAL_CLOSE_CODES[4004]!, "DISCORD_BOT_TOKEN");
        if (message === "Used disallowed intents") throw new ConfigError(FATAL_CLOSE_CODES[4014]!);
        throw error;
      }
      await ready;
      log.info({ username: client.user?.username }, "discord bot is connected");
      if (options.registerCommands ?? true) await registerCommands();
    },
    async stop() {
      await client.destroy();
      await queues.idle();
    },
  };
}
