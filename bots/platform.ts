import type { FastifyInstance } from "fastify";
import type { SendingChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import type { Channel, ChannelHooks } from "./channel.ts";
import type { InboundHandler } from "./inbound.ts";
import type { InboundRetries } from "./inbound-failures.ts";
import type { SendReply } from "./reply.ts";

/** What every platform is built with: the process's shared parts, as `cli/` holds them. */
export interface PlatformContext {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Db;
  /** Shared counters (web chat rate limits) and relays. */
  redis: Redis;
  /** Where inbound messages go: the conversation core (bots/responder.ts). */
  onMessage: InboundHandler;
  /** Where each platform registers how its dead letters (`InboundFailure`) are retried. */
  retries?: InboundRetries;
  /** Queues the bot's own messages (the web chat's email verification code) as transactional Deliveries. */
  sendReply: SendReply;
  /** This installation's Redis key prefix (its queue prefix): a platform's own Redis keys go under it. */
  redisPrefix: string;
  /** A web chat visitor proved an email: their conversations' names change (the console's live update). */
  onIdentified?: (customerId: string) => void;
  /**
   * True when this platform sends through its provider: its {@link Platform.live} holds and this is not
   * `rapport demo`. False: it builds no provider transport (its messages go to the outbox) and no listener.
   */
  live: boolean;
}

/** One platform as built for this process. Every part is optional: a platform has only what it needs. */
export interface PlatformRuntime {
  /** The provider's transport. Absent: its messages go to `$RAPPORT_DATA_DIR/outbox/<channel>/`. */
  readonly channel?: Channel;
  /** Registers its HTTP routes (webhooks, widget, pages). Before the server listens. */
  registerRoutes?(http: FastifyInstance): Promise<void>;
  /**
   * Starts its listeners (polling, gateway, webhook registration). What it throws is reported and the other
   * platforms keep running; a platform reports its own failure with the fix where it knows it.
   */
  start?(): Promise<void>;
  /** Stops its listeners. */
  stop?(): Promise<void>;
  /** Releases what building it took (connections). After `stop`. */
  close?(): Promise<void>;
}

/**
 * A platform customers reach the brand on: one folder under `bots/` exports one of these, and one line of
 * `bots/platforms.ts` lists it. `cli/` builds every listed platform from the configuration; `workers/` sees
 * only its {@link Channel} (whose hooks shape what the platform needs shaped, e.g. email threading).
 */
export interface Platform<Name extends SendingChannelName = SendingChannelName> {
  /** The channel it sends on: its `deliver-<name>` queue, its outbox folder, its Identity and consent key. */
  readonly name: Name;
  /** The settings it reads (declared and checked in lib/config.ts), for the docs and for `rapport` users. */
  readonly configKeys: readonly (keyof Config)[];
  /**
   * Its channel's message hooks ({@link Channel.prepare}, {@link Channel.threadFor}). Its own channel carries
   * them; the outbox standing in for it gets them too, so its messages read the same without credentials.
   */
  readonly hooks?: ChannelHooks;
  /** True when the configuration holds what it needs to send for real (its credentials). */
  live(config: Config): boolean;
  /** Builds it: its channel when `context.live`, its routes and its listeners. */
  create(context: PlatformContext): PlatformRuntime;
}
