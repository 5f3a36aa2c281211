import { Bot, type Context, GrammyError } from "grammy";
import type { Update } from "grammy/types";
import { type Clock, systemClock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { InboundHandler } from "../inbound.ts";
import { type InboundRetries, recordInboundFailure } from "../inbound-failures.ts";
import { callbackToInbound, type Normalised, toInboundMessage } from "./inbound.ts";

/** The update kinds the bot asks Telegram for, in polling and webhook mode alike. */
export const TELEGRAM_ALLOWED_UPDATES = ["message", "edited_message", "callback_query"] as const;

/** Options for {@link createTelegramBot}. */
export interface TelegramBotOptions {
  /** The token from @BotFather (TELEGRAM_BOT_TOKEN). */
  token: string;
  /** Bot API root (tests, a local Bot API server). Defaults to https://api.telegram.org. */
  apiRoot?: string;
  /** The conversation core: called once per normalised message; storing and answering are its job. */
  onMessage: InboundHandler;
  log: Logger;
  /** Stamps button presses, which carry no date of their own. Defaults to the system clock. */
  clock?: Clock;
  /** Where an update that fails is kept (`InboundFailure`, channel "telegram"). Unset: it is only logged. */
  db?: Db;
  /** Where the bot registers how its kept updates are retried: handled again from the start. */
  retries?: InboundRetries;
}

/**
 * The Telegram adapter: a grammY `Bot` that turns every update into an `InboundMessage` and hands it to
 * `onMessage` — private messages, captions, edits, a shared own phone number, group messages addressed to
 * the bot, and rating-button presses (answered so the button stops spinning). It decides nothing: commands
 * travel as text. What it skips is logged at debug level with the update; an update whose handling fails is
 * kept in `InboundFailure` (with `db`) and the bot goes on with the next. Run it with {@link startPolling} or
 * `registerTelegramWebhook`.
 */
export function createTelegramBot(options: TelegramBotOptions): Bot {
  const log = options.log.child({ component: "telegram" });
  const clock = options.clock ?? systemClock;
  const bot = new Bot(options.token, options.apiRoot ? { client: { apiRoot: options.apiRoot } } : undefined);

  const deliver = async (ctx: Context, normalised: Normalised) => {
    if (!normalised.ok) {
      log.debug({ reason: normalised.reason, update: ctx.update }, "telegram update skipped");
      return;
    }
    await options.onMessage(normalised.message);
  };

  bot.on("message", (ctx) => deliver(ctx, toInboundMessage(ctx.message, ctx.me, "message")));
  bot.on("edited_message", (ctx) => deliver(ctx, toInboundMessage(ctx.editedMessage, ctx.me, "edit")));
  bot.on("callback_query", async (ctx) => {
    const normalised = callbackToInbound(ctx.callbackQuery, new Date(clock.now()));
    // answered first: the spinner stops even if storing is slow, and a stale query must not block capture
    await ctx.answerCallbackQuery().catch((err: unknown) => {
      log.warn({ err, callbackQueryId: ctx.callbackQuery.id }, "could not answer a telegram button press");
    });
    if (!normalised.ok) {
      log.warn({ reason: normalised.reason, update: ctx.update }, "telegram button press skipped");
      return;
    }
    await options.onMessage(normalised.message);
  });
  bot.use((ctx) => {
    log.debug({ update: ctx.update }, "telegram update of an unhandled kind skipped");
  });
  bot.catch(async (error) => {
    // a bad update or a failed capture is kept and skipped: the updates after it go on
    const update = error.ctx.update;
    log.error({ err: error.error, update }, "telegram update failed");
    if (!options.db) return;
    const failure = { channel: "telegram", sourceKey: `update:${update.update_id}`, payload: update };
    await recordInboundFailure(options.db, { ...failure, error: error.error }, new Date(clock.now())).catch(
      (keepError: unknown) => log.error({ err: keepError, update }, "failed telegram update not kept either"),
    );
  });
  options.retries?.register("telegram", async (payload) => {
    await bot.init();
    await bot.handleUpdate(JSON.parse(payload) as Update);
  });
  return bot;
}

/**
 * Starts long polling in the background (the mode when no public webhook URL is configured; it also removes
 * a webhook left from an earlier run). Resolves once polling runs; a refused token is reported with how to
 * fix it instead of crashing the process.
 */
export async function startPolling(bot: Bot, log: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    bot
      .start({
        allowed_updates: [...TELEGRAM_ALLOWED_UPDATES],
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
