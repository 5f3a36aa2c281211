import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Bot } from "grammy";
import {
  type Channel,
  createDiscordBot,
  createDiscordChannel,
  createOutboxChannel,
  createResendChannel,
  createTelegramBot,
  createTelegramChannel,
  createWebchatChannel,
  createXChannel,
  createXClient,
  createXListener,
  type DiscordBot,
  type InboundHandler,
  type InboundRetries,
  registerTelegramWebhook,
  registerWebchat,
  type SendReply,
  setTelegramWebhook,
  startPolling,
  TELEGRAM_WEBHOOK_PATH,
  type XListener,
} from "../bots/index.ts";
import { createWebchatHub, shareWebchatHub } from "../bots/webchat/index.ts";
import { SENDING_CHANNEL_NAMES, type SendingChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Config } from "../lib/config.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import { configuredOrGeneratedSecret } from "../lib/secrets.ts";

/** The chat platforms and email, as configured: one outbound channel each, plus their inbound listeners. */
export interface Platforms {
  /** One channel per channel name: the real provider where credentials are set, else the outbox. */
  readonly channels: readonly Channel[];
  /** The channels without credentials (or all, for `rapport demo`): their messages only go to the outbox. */
  readonly outboxOnly: readonly SendingChannelName[];
  /** Registers the HTTP routes platforms need (web chat, Telegram webhook). Before `listen`. */
  registerRoutes(http: FastifyInstance): Promise<void>;
  /** Starts listening: Telegram polling or webhook registration, the Discord gateway, the X poller. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Releases what building them took (the web chat relay's Redis connection). After `stop`. */
  close(): Promise<void>;
}

/** What {@link createPlatforms} needs. */
export interface PlatformDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  db: Db;
  /** Shared counters (web chat rate limits). */
  redis: Redis;
  onMessage: InboundHandler;
  /** Where each platform registers how its dead letters (`InboundFailure`) are retried. */
  retries?: InboundRetries;
  /** Queues the bot's own messages (the web chat's email verification code) as transactional Deliveries. */
  sendReply: SendReply;
  /** Send everything to the outbox, whatever credentials are set (`rapport demo`). */
  outboxOnly: boolean;
  /** This installation's Redis key prefix (its queue prefix): the web chat relay's keys go under it. */
  redisPrefix: string;
  /** A web chat visitor proved an email: their conversations' names change (the console's live update). */
  onIdentified?: (customerId: string) => void;
}

/**
 * Builds every platform from the configuration. A platform whose credentials are missing is off and its
 * messages go to `$RAPPORT_DATA_DIR/outbox/<channel>/`; one that fails to start (a refused token) is
 * reported with the fix and the others keep running.
 */
export function createPlatforms(deps: PlatformDeps): Platforms {
  const { config, log, clock, db, onMessage } = deps;
  const live = !deps.outboxOnly;
  const telegram: Bot | undefined =
    live && config.TELEGRAM_BOT_TOKEN
      ? createTelegramBot({
          token: config.TELEGRAM_BOT_TOKEN,
          apiRoot: config.TELEGRAM_API_ROOT,
          onMessage,
          log,
          clock,
          db,
          retries: deps.retries,
        })
      : undefined;
  const telegramWebhook =
    config.TELEGRAM_MODE === "webhook" ||
    (config.TELEGRAM_MODE === "auto" && config.PUBLIC_URL.startsWith("https://"));
  const discord: DiscordBot | undefined =
    live && config.DISCORD_BOT_TOKEN
      ? createDiscordBot({
          token: config.DISCORD_BOT_TOKEN,
          restUrl: config.DISCORD_API_URL,
          onMessage,
          log,
          db,
          retries: deps.retries,
          clock,
        })
      : undefined;
  const xClient =
    live && config.X_APP_KEY && config.X_APP_SECRET && config.X_ACCESS_TOKEN && config.X_ACCESS_SECRET
      ? createXClient({
          appKey: config.X_APP_KEY,
          appSecret: config.X_APP_SECRET,
          accessToken: config.X_ACCESS_TOKEN,
          accessSecret: config.X_ACCESS_SECRET,
          apiRoot: config.X_API_ROOT,
        })
      : undefined;
  let xListener: XListener | undefined;
  // shared through Redis: a reply sent by a `rapport worker` elsewhere reaches the stream this process holds
  const hub = shareWebchatHub(createWebchatHub({ clock }), {
    redis: deps.redis,
    prefix: deps.redisPrefix,
    log,
  });

  const outbox = { dir: path.join(config.dataDir, "outbox"), from: config.EMAIL_FROM, clock, log };
  const real: Partial<Record<SendingChannelName, Channel>> = {
    email:
      live && config.RESEND_API_KEY
        ? createResendChannel({
            apiKey: config.RESEND_API_KEY,
            baseUrl: config.RESEND_BASE_URL,
            from: config.EMAIL_FROM,
            replyTo: config.EMAIL_REPLY_TO,
            requestsPerSecond: config.RESEND_REQUESTS_PER_SECOND,
          })
        : undefined,
    telegram: telegram ? createTelegramChannel(telegram.api, { clock }) : undefined,
    discord: discord
      ? createDiscordChannel({ token: config.DISCORD_BOT_TOKEN!, restUrl: config.DISCORD_API_URL })
      : undefined,
    x: xClient ? createXChannel(xClient, { clock }) : undefined,
    webchat: deps.outboxOnly ? undefined : createWebchatChannel(hub),
  };
  const channels = SENDING_CHANNEL_NAMES.map((name) => real[name] ?? createOutboxChannel(name, outbox));
  const telegramSecret = () =>
    configuredOrGeneratedSecret(config.TELEGRAM_WEBHOOK_SECRET, config.dataDir, "telegram-webhook-secret")
      .value;

  return {
    channels,
    outboxOnly: SENDING_CHANNEL_NAMES.filter((name) => !real[name]),
    async registerRoutes(http) {
      await registerWebchat(http, {
        db,
        onMessage,
        sendReply: deps.sendReply,
        secret: configuredOrGeneratedSecret(undefined, config.dataDir, "webchat-secret").value,
        // the same secret as cli/app.ts gives the confirm page: the web chat's double opt-in links verify there
        linkSecret: configuredOrGeneratedSecret(config.RAPPORT_LINK_SECRET, config.dataDir, "link-secret")
          .value,
        brandName: config.BRAND_NAME,
        publicUrl: config.PUBLIC_URL,
        log,
        clock,
        hub,
        redis: deps.redis,
        redisPrefix: deps.redisPrefix,
        onIdentified: deps.onIdentified,
      });
      if (telegram && telegramWebhook)
        registerTelegramWebhook(http, telegram, { secretToken: telegramSecret(), log });
    },
    async start() {
      if (telegram) {
        try {
          if (telegramWebhook) {
            const url = `${config.PUBLIC_URL}${TELEGRAM_WEBHOOK_PATH}`;
            await setTelegramWebhook(telegram, { url, secretToken: telegramSecret() });
            log.info({ url }, "telegram webhook registered");
          } else {
            await startPolling(telegram, log);
          }
        } catch (error) {
          log.error({ err: error }, "telegram did not start: check TELEGRAM_BOT_TOKEN and PUBLIC_URL");
        }
      }
      if (discord) {
        try {
          await discord.start();
          log.info("discord bot connected");
        } catch (error) {
          log.error(error instanceof Error ? error.message : String(error));
        }
      }
      if (xClient) {
        const keywords = (config.X_KEYWORDS ?? "")
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean);
        xListener = createXListener({
          client: xClient,
          db,
          onMessage,
          log,
          clock,
          pollIntervalMs: config.X_POLL_INTERVAL * 1000,
          keywords,
        });
        const listener = xListener;
        deps.retries?.register("x", (payload) => listener.retry(payload));
        xListener.start();
        log.info({ keywords }, "x listener polling");
      }
    },
    async stop() {
      // a webhook stays registered on purpose: Telegram keeps updates queued until we are back
      if (telegram?.isRunning()) await telegram.stop();
      await discord?.stop();
      await xListener?.stop();
    },
    close: () => hub.close(),
  };
}
