import path from "node:path";
import type { FastifyInstance } from "fastify";
import { type Channel, createOutboxChannel } from "../bots/index.ts";
import { PLATFORMS, type Platform, type PlatformContext } from "../bots/platforms.ts";
import type { SendingChannelName } from "../lib/channels.ts";

/** The chat platforms and email, as configured: one outbound channel each, plus their inbound listeners. */
export interface Platforms {
  /** One channel per platform: the real provider where credentials are set, else the outbox. */
  readonly channels: readonly Channel[];
  /** The channels without credentials (or all, for `rapport demo`): their messages only go to the outbox. */
  readonly outboxOnly: readonly SendingChannelName[];
  /** The platforms with listeners to start (Telegram, Discord, X when live), for the start-up progress line. */
  readonly listening: readonly SendingChannelName[];
  /** Registers the HTTP routes platforms need (web chat, Telegram webhook, Resend's webhook). Before `listen`. */
  registerRoutes(http: FastifyInstance): Promise<void>;
  /** Starts listening: Telegram polling or webhook registration, the Discord gateway, the X poller. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Releases what building them took (the web chat relay's Redis connection). After `stop`. */
  close(): Promise<void>;
}

/** What {@link createPlatforms} needs: every platform's context, and whether this is `rapport demo`. */
export interface PlatformDeps extends Omit<PlatformContext, "live"> {
  /** Send everything to the outbox, whatever credentials are set (`rapport demo`). */
  outboxOnly: boolean;
}

/**
 * Builds every platform of the registry (bots/platforms.ts) from the configuration. A platform whose
 * credentials are missing is off and its messages go to `$RAPPORT_DATA_DIR/outbox/<channel>/`; one that fails
 * to start (a refused token) is reported with the fix and the others keep running.
 */
export function createPlatforms(deps: PlatformDeps, registry: readonly Platform[] = PLATFORMS): Platforms {
  const { outboxOnly, ...shared } = deps;
  const { config, log, clock } = deps;
  const built = registry.map((platform) => ({
    platform,
    runtime: platform.create({ ...shared, live: !outboxOnly && platform.live(config) }),
  }));
  const outbox = { dir: path.join(config.dataDir, "outbox"), from: config.EMAIL_FROM, clock, log };
  return {
    // the outbox stands in for a channel without credentials, shaping messages as the platform does
    channels: built.map(
      ({ platform, runtime }) =>
        runtime.channel ?? { ...createOutboxChannel(platform.name, outbox), ...platform.hooks },
    ),
    outboxOnly: built.filter(({ runtime }) => !runtime.channel).map(({ platform }) => platform.name),
    listening: built.filter(({ runtime }) => runtime.start).map(({ platform }) => platform.name),
    async registerRoutes(http) {
      for (const { runtime } of built) await runtime.registerRoutes?.(http);
    },
    async start() {
      for (const { platform, runtime } of built) {
        try {
          await runtime.start?.();
        } catch (error) {
          log.error({ err: error, platform: platform.name }, `${platform.name} did not start`);
        }
      }
    },
    async stop() {
      for (const { runtime } of built) await runtime.stop?.();
    },
    async close() {
      for (const { runtime } of built) await runtime.close?.();
    },
  };
}
