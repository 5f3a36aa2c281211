import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { type Bot, BotError } from "grammy";
import type { Update } from "grammy/types";
import { z } from "zod";
import { jsonOnly } from "../../lib/http.ts";
import type { Logger } from "../../lib/logger.ts";
import { describeRoute } from "../../lib/openapi.ts";
import { TELEGRAM_ALLOWED_UPDATES } from "./bot.ts";

/** The header Telegram sends the webhook's `secret_token` in. */
export const TELEGRAM_SECRET_HEADER = "x-telegram-bot-api-secret-token";
/** Where the webhook route listens unless told otherwise. */
export const TELEGRAM_WEBHOOK_PATH = "/webhooks/telegram";

/** Options for {@link registerTelegramWebhook}. */
export interface TelegramWebhookOptions {
  /** The `secret_token` given to `setWebhook` (TELEGRAM_WEBHOOK_SECRET): 1–256 of A–Z, a–z, 0–9, _ and -. */
  secretToken: string;
  /** The route's path. Defaults to "/webhooks/telegram". */
  path?: string;
  log: Logger;
  /**
   * How long Telegram's request waits for the update to be handled, in ms, before it gets its 200 anyway
   * and handling goes on in the background. Defaults to 5 000.
   */
  answerWithinMs?: number;
}

/** Options for {@link setTelegramWebhook}. */
export interface SetTelegramWebhookOptions {
  /** The public HTTPS URL of the route, e.g. `${PUBLIC_URL}/webhooks/telegram`. */
  url: string;
  secretToken: string;
}

/** The least an update must be; the rest is the handlers' business (an unknown kind is logged and skipped). */
const UpdateBody = z.looseObject({ update_id: z.number().int().nonnegative() });

const WEBHOOK_DOC = describeRoute({
  summary: "Telegram updates (webhook mode)",
  description:
    "Registered with setWebhook when TELEGRAM_MODE is webhook (or auto with an https PUBLIC_URL). A body that " +
    "is not an update is logged and answered 200, so Telegram does not redeliver it forever.",
  tags: ["Platform webhooks"],
  auth: { signature: "telegramSecretToken" },
  body: { TelegramUpdate: UpdateBody },
  responses: {
    200: "Handled, or logged and skipped",
    401: "Wrong or missing X-Telegram-Bot-Api-Secret-Token; nothing processed",
    415: "The Content-Type is not application/json",
    503: "The bot could not reach Telegram's getMe: Telegram redelivers the update",
  },
});

/**
 * Serves Telegram's webhook on `POST path` (the mode when a public URL is configured; polling otherwise).
 * A request without the right `X-Telegram-Bot-Api-Secret-Token` gets 401 and nothing is processed. A body
 * that is not an update is logged with the body and answered 200, so Telegram does not redeliver it
 * forever; a handler error is handed to the bot's `bot.catch` and answered 200 too — the same
 * "logged and skipped" as in polling. The bot's info (`getMe`) is fetched on the first update.
 */
export function registerTelegramWebhook(
  app: FastifyInstance,
  bot: Bot,
  options: TelegramWebhookOptions,
): void {
  const log = options.log.child({ component: "telegram-webhook" });
  const answerWithinMs = options.answerWithinMs ?? 5_000;
  const expected = Buffer.from(options.secretToken);
  let ready: Promise<void> | undefined;

  const path = options.path ?? TELEGRAM_WEBHOOK_PATH;
  app.post(path, { onRequest: jsonOnly, config: WEBHOOK_DOC }, async (request, reply) => {
    const header = request.headers[TELEGRAM_SECRET_HEADER];
    if (typeof header !== "string" || !sameSecret(Buffer.from(header), expected)) {
      log.warn({ ip: request.ip }, "telegram webhook call with a missing or wrong secret token refused");
      return reply.code(401).send({ error: "unauthorized", message: "wrong or missing secret token" });
    }
    const parsed = UpdateBody.safeParse(request.body);
    if (!parsed.success) {
      log.warn(
        { body: request.rawBody?.toString("utf8") ?? request.body },
        "malformed telegram update skipped",
      );
      return reply.code(200).send();
    }
    try {
      ready ??= bot.init();
      await ready;
    } catch (err) {
      ready = undefined;
      // Telegram keeps the update and retries: nothing is lost while the Bot API is unreachable
      log.error({ err }, "telegram getMe failed: the update will be redelivered");
      return reply.code(503).send({ error: "unavailable", message: "bot not initialised" });
    }
    const handled = handle(bot, parsed.data as unknown as Update, log);
    await Promise.race([handled, new Promise((resolve) => setTimeout(resolve, answerWithinMs).unref())]);
    return reply.code(200).send();
  });
}

/**
 * Points Telegram at the webhook: `setWebhook` with the secret token, the update kinds the bot handles and
 * `drop_pending_updates: false`, so updates queued while Rapport was down still arrive.
 */
export async function setTelegramWebhook(bot: Bot, options: SetTelegramWebhookOptions): Promise<void> {
  await bot.api.setWebhook(options.url, {
    secret_token: options.secretToken,
    allowed_updates: [...TELEGRAM_ALLOWED_UPDATES],
    drop_pending_updates: false,
  });
}

async function handle(bot: Bot, update: Update, log: Logger): Promise<void> {
  try {
    await bot.handleUpdate(update);
  } catch (err) {
    if (err instanceof BotError) {
      const handled = await Promise.resolve(bot.errorHandler(err)).then(
        () => true,
        () => false,
      );
      if (handled) return;
    }
    log.error({ err, update }, "telegram update failed");
  }
}

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
