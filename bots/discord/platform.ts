import type { Platform } from "../platform.ts";
import { createDiscordBot } from "./bot.ts";
import { createDiscordChannel } from "./channel.ts";

/** Discord: the gateway bot (messages, slash commands, buttons) and the REST channel. Live with DISCORD_BOT_TOKEN. */
export const discord: Platform<"discord"> = {
  name: "discord",
  configKeys: ["DISCORD_BOT_TOKEN", "DISCORD_API_URL"],
  live: (config) => Boolean(config.DISCORD_BOT_TOKEN),
  create({ config, log, clock, db, onMessage, retries, live }) {
    if (!live || !config.DISCORD_BOT_TOKEN) return {};
    const bot = createDiscordBot({
      token: config.DISCORD_BOT_TOKEN,
      restUrl: config.DISCORD_API_URL,
      onMessage,
      log,
      db,
      retries,
      clock,
    });
    return {
      channel: createDiscordChannel({ token: config.DISCORD_BOT_TOKEN, restUrl: config.DISCORD_API_URL }),
      async start() {
        try {
          await bot.start();
          log.info("discord bot connected");
        } catch (error) {
          log.error(error instanceof Error ? error.message : String(error));
        }
      },
      stop: () => bot.stop(),
    };
  },
};
