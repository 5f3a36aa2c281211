import { configuredOrGeneratedSecret } from "../../lib/secrets.ts";
import type { Platform } from "../platform.ts";
import { createTelegramBot, startPolling } from "./bot.ts";
import { createTelegramChannel } from "./channel.ts";
import { registerTelegramWebhook, setTelegramWebhook, TELEGRAM_WEBHOOK_PATH } from "./webhook.ts";

/**
 * Telegram: a bot (grammY) that polls, or answers Telegram's webhook when PUBLIC_URL is https (TELEGRAM_MODE
 * chooses), and a channel paced per chat. Live with TELEGRAM_BOT_TOKEN.
 */
export const telegram: Platform<"telegram"> = {
  name: "telegram",
  configKeys: [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_ROOT",
    "TELEGRAM_MODE",
    "TELEGRAM_WEBHOOK_SECRET",
    "PUBLIC_URL",
  ],
  live: (config) => Boolean(config.TELEGRAM_BOT_TOKEN),
  create({ config, log, clock, db, onMessage, retries, live }) {
    if (!live || !config.TELEGRAM_BOT_TOKEN) return {};
    const bot = createTelegramBot({
      token: config.TELEGRAM_BOT_TOKEN,
      apiRoot: config.TELEGRAM_API_ROOT,
      onMessage,
      log,
      clock,
      db,
      retries,
    });
    const webhook =
      config.TELEGRAM_MODE === "webhook" ||
      (config.TELEGRAM_MODE === "auto" && config.PUBLIC_URL.startsWith("https://"));
    const secret = () =>
      configuredOrGeneratedSecret(config.TELEGRAM_WEBHOOK_SECRET, config.dataDir, "telegram-webhook-secret")
        .value;
    return {
      channel: createTelegramChannel(bot.api, { clock }),
      async registerRoutes(http) {
        if (webhook) registerTelegramWebhook(http, bot, { secretToken: secret(), log });
      },
      async start() {
        try {
          if (webhook) {
            const url = `${config.PUBLIC_URL}${TELEGRAM_WEBHOOK_PATH}`;
            await setTelegramWebhook(bot, { url, secretToken: secret() });
            log.info({ url }, "telegram webhook registered");
          } else {
            await startPolling(bot, log);
          }
        } catch (error) {
          log.error({ err: error }, "telegram did not start: check TELEGRAM_BOT_TOKEN and PUBLIC_URL");
        }
      },
      async stop() {
        // a webhook stays registered on purpose: Telegram keeps updates queued until we are back
        if (bot.isRunning()) await bot.stop();
      },
    };
  },
};
