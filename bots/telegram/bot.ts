import { Bot, GrammyError } from "grammy";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { type CaptureResult, captureMessage } from "../conversation.ts";
import { toInboundMessage } from "./inbound.ts";

/** Options for {@link createTelegramBot}. */
export interface TelegramBotOptions {
  token: string;
  /** Bot API root. Defaults to https://api.telegram.org. */
  apiRoot?: string;
  db: Db;
  log: Logger;
  /** Called after each captured message (stored or duplicate). */
  onCaptured?: (result: CaptureResult) => Promise<void> | void;
}

/** The Telegram bot: a grammY `Bot` whose handlers capture private messages into customer profiles. */
export function createTelegramBot(options: TelegramBotOptions): Bot {
  const log = options.log.child({ component: "telegram" });
  const bot = new Bot(options.token, options.apiRoot ? { client: { apiRoot: options.apiRoot } } : undefined);
  bot.chatType("private").on(["message:text", "message:caption"], async (ctx) => {
    const inbound = toInboundMessage(ctx.msg);
    if (!inbound) return;
    const result = await captureMessage(options.db, inbound);
    log.debug({ chatId: ctx.chat.id, result: result.kind }, "message captured");
    await options.onCaptured?.(result);
  });
  bot.catch((error) => {
    // a bad update or a failed capture is logged with the update and skipped: the bot keeps running
    log.error({ err: error.error, update: error.ctx.update }, "telegram update failed");
  });
  return bot;
}

/**
 * Starts long polling in the background. Resolves once polling runs; a refused token is reported with how
 * to fix it instead of crashing the process.
 */
export async function startPolling(bot: Bot, log: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    bot
      .start({
        allowed_updates: ["message", "edited_message", "callback_query"],
        onStart: (me) => {
          log.info({ username: me.username }, "telegram bot is polling");
          resolve();
        },
      })
      .catch((error: unknown) => {
        if (error instanceof GrammyError && error.error_code === 401) {
          log.error(
            "TELEGRAM_BOT_TOKEN was refused by Telegram (401): create a token with @BotFather and set it in .env",
          );
        } else {
          log.error({ err: error }, "telegram polling stopped");
        }
        resolve();
      });
  });
}
