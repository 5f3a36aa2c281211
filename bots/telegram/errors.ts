import { GrammyError, HttpError } from "grammy";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";

/**
 * Network errors raised before the request was written (no connection, no address, a TLS handshake refused):
 * Telegram cannot have the message.
 */
const BEFORE_REQUEST = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * Maps a grammY failure to Rapport's send errors: 429 waits for Telegram's own `retry_after`; 401 means the
 * token is wrong; 400/403 (chat not found, bot blocked, a group that moved to a supergroup — the message
 * names the new id) never succeed on retry; 5xx and network errors are transient. Telegram's own error
 * answer (a 5xx with its body) and a connection refused before the request prove the message was not
 * sent (`notSent`); a cut connection, a timeout or an unreadable answer do not.
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
      return new TransientSendError(`Telegram ${error.description}`, { ...context, providerCode }, true);
    return new PermanentSendError(`Telegram ${error.error_code}: ${error.description}`, {
      ...context,
      providerCode,
    });
  }
  if (error instanceof HttpError) {
    const code = (error.error as { code?: unknown } | undefined)?.code;
    const refused = typeof code === "string" && BEFORE_REQUEST.has(code);
    // the code only: the underlying message names the URL, and the URL holds the bot token
    const detail = typeof code === "string" ? ` (${code})` : "";
    return new TransientSendError(`Telegram unreachable: ${error.message}${detail}`, context, refused);
  }
  return error instanceof Error ? error : new Error(String(error));
}
