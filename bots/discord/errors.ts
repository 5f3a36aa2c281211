import { DiscordAPIError, HTTPError, RateLimitError } from "discord.js";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";

/** The fix for a refused token, in every message that reports one. */
export const TOKEN_FIX =
  "create a bot token in the Discord Developer Portal (Applications → your app → Bot → Reset Token) and set DISCORD_BOT_TOKEN in .env";

/**
 * Maps a discord.js REST failure to Rapport's send errors. A 429 (or a bucket discord.js knows is empty)
 * waits for Discord's own `retry_after`; 401 means the token is wrong; 403 (missing access or permissions,
 * cannot DM this user) and 404 (unknown channel or user) never succeed on retry; 5xx and network errors are
 * transient. Nothing here retries: Discord bans a bot after 10 000 401/403/429 answers in 10 minutes, so
 * the queue decides when to try again, never this code in a loop.
 */
export function toSendError(error: unknown, deliveryId?: string): Error {
  const context = { channel: "discord", deliveryId };
  if (error instanceof RateLimitError) {
    const waitMs = Math.max(error.retryAfter, error.timeToReset, 0);
    return new RateLimitedError(Math.ceil(waitMs) || 1_000, {
      ...context,
      providerCode: error.global ? "global_rate_limit" : "429",
    });
  }
  if (error instanceof DiscordAPIError) {
    const providerCode = String(error.code);
    if (error.status === 401) {
      return new PermanentSendError(`DISCORD_BOT_TOKEN was refused by Discord (401): ${TOKEN_FIX}`, {
        ...context,
        providerCode,
      });
    }
    if (error.status === 403) {
      return new PermanentSendError(
        `Discord refused the message (403 ${error.message}): the bot lacks access to that channel or the user does not accept DMs from it`,
        { ...context, providerCode },
      );
    }
    if (error.status >= 500)
      return new TransientSendError(`Discord ${error.status}: ${error.message}`, context);
    return new PermanentSendError(`Discord ${error.status}: ${error.message}`, { ...context, providerCode });
  }
  if (error instanceof HTTPError) {
    const message = `Discord ${error.status}: ${error.message}`;
    return error.status >= 500
      ? new TransientSendError(message, { ...context, providerCode: String(error.status) })
      : new PermanentSendError(message, { ...context, providerCode: String(error.status) });
  }
  if (error instanceof Error && /Expected token to be set/.test(error.message)) {
    // discord.js forgets a token after its first 401, so later sends fail here without reaching Discord
    return new PermanentSendError(`DISCORD_BOT_TOKEN was refused by Discord earlier (401): ${TOKEN_FIX}`, {
      ...context,
      providerCode: "401",
    });
  }
  if (error instanceof Error) {
    return new TransientSendError(`Discord unreachable: ${error.message}`, context);
  }
  return new Error(String(error));
}
