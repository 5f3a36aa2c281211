import { GrammyError, HttpError } from "grammy";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";

/**
 * Maps a grammY failure to Rapport's send errors: 429 waits for Telegram's own `retry_after`; 401 means the
 * token is wrong; 400/403 (chat not found, bot blocked, a group that moved to a supergroup — the message
 * names the new id) never succeed on retry; 5xx and network errors are transient.
 */
export function toSendError(error: unknown, deliveryId?: string): Error {
  const context = { channel: "telegram", deliveryId };
  if (error instanceof GrammyError) {
    const providerCode = String(error.error_code);
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return new RateLimitedError(seconds * 1000, { ...context, providerCode });
    }
    if (error.error_code === 401 || error.error_code === 404) {
      return new PermanentSendError(
        `TELEGRAM_BOT_TOKEN was refused by Telegram (${error.error_code} ${error.description}): create a token with @BotFather and set it in .env`,
        { ...context, providerCode },
      );
    }
    if (error.parameters.migrate_to_chat_id !== undefined) {
      return new PermanentSendError(
        `Telegram: the group became a supergroup; its chat id is now ${error.parameters.migrate_to_chat_id}`,
        { ...context, providerCode: "migrate_to_chat_id" },
      );
    }
    if (error.error_code >= 500)
      return new TransientSendError(`Telegram ${error.description}`, { ...context, providerCode });
    return new PermanentSendError(`Telegram ${error.error_code}: ${error.description}`, {
      ...context,
      providerCode,
    });
  }
  if (error instanceof HttpError)
    return new TransientSendError(`Telegram unreachable: ${error.message}`, context);
  return error instanceof Error ? error : new Error(String(error));
}
