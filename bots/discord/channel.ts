import { createHash } from "node:crypto";
import { type APIChannel, type APIMessage, ButtonStyle, ComponentType, REST, Routes } from "discord.js";
import { PermanentSendError } from "../../lib/errors.ts";
import type { Channel, OutboundMessage, SendOptions, SentMessage } from "../channel.ts";
import { toSendError } from "./errors.ts";

/** Options for {@link createDiscordChannel}. */
export interface DiscordChannelOptions {
  /** The bot token (DISCORD_BOT_TOKEN). */
  token: string;
  /** REST API root, without the version. Defaults to https://discord.com/api. */
  restUrl?: string;
  /** Requests per second for the whole bot. Defaults to 45, under Discord's global 50/s. */
  maxPerSecond?: number;
}

/** Discord refuses longer messages with 400 "Invalid Form Body". */
const MAX_CONTENT = 2_000;
/** Discord allows five buttons in an action row. */
const BUTTONS_PER_ROW = 5;
/** DM channel ids remembered per user, so a campaign does not open the same DM before every message. */
const MAX_DM_CACHE = 10_000;

/**
 * Discord as an outbound channel. `to` is a channel id (a guild channel, a thread or a DM channel, as
 * captured in the conversation's threadRef) or "user:<id>" to DM a user (the DM channel is opened first).
 *
 * Rate limits are surfaced, not waited out: this REST client rejects instead of sleeping whenever Discord
 * answers 429 or a bucket's headers say it is empty, so the deliver worker can pause the whole queue for
 * Discord's own wait (`worker.rateLimit`) instead of one job sleeping with a slot held. It never retries:
 * retries are the queue's, with backoff, which keeps 401/403/429 answers (Discord bans a bot after 10 000 in
 * 10 minutes) from repeating. The idempotency key becomes the message `nonce` with `enforce_nonce`, so a
 * retried send within Discord's dedupe window returns the first message instead of posting twice.
 */
export function createDiscordChannel(options: DiscordChannelOptions): Channel {
  const maxPerSecond = options.maxPerSecond ?? 45;
  const rest = new REST({
    ...(options.restUrl ? { api: options.restUrl } : {}),
    retries: 0,
    globalRequestsPerSecond: maxPerSecond,
    rejectOnRateLimit: () => true,
  }).setToken(options.token);
  const dmChannels = new Map<string, string>();

  async function channelFor(to: string): Promise<string> {
    const userId = to.startsWith("user:") ? to.slice("user:".length) : undefined;
    const id = userId ?? to;
    if (!/^\d{15,21}$/.test(id)) {
      throw new PermanentSendError(`"${to}" is not a Discord channel id or "user:<id>"`, {
        channel: "discord",
      });
    }
    if (userId === undefined) return id;
    const known = dmChannels.get(userId);
    if (known) return known;
    const dm = (await rest.post(Routes.userChannels(), { body: { recipient_id: userId } })) as APIChannel;
    if (dmChannels.size >= MAX_DM_CACHE) dmChannels.delete(dmChannels.keys().next().value!);
    dmChannels.set(userId, dm.id);
    return dm.id;
  }

  return {
    name: "discord",
    limit: { max: maxPerSecond, durationMs: 1_000 },
    // the enforced nonce: Discord answers a repeated send within its dedupe window with the first message
    idempotent: true,
    async send(
      message: OutboundMessage,
      idempotencyKey: string,
      options?: SendOptions,
    ): Promise<SentMessage> {
      if (message.text.length > MAX_CONTENT) {
        throw new PermanentSendError(
          `Discord messages hold at most ${MAX_CONTENT} characters; this one has ${message.text.length}: shorten the template`,
          { channel: "discord", deliveryId: message.deliveryId },
        );
      }
      try {
        const channelId = await channelFor(message.to);
        const sent = (await rest.post(Routes.channelMessages(channelId), {
          body: {
            content: message.text,
            nonce: nonceOf(idempotencyKey),
            enforce_nonce: true,
            // a campaign text must never ping @everyone or a role; replying still notifies the customer
            allowed_mentions: { parse: ["users"], replied_user: true },
            ...(message.buttons?.length ? { components: actionRows(message.buttons) } : {}),
            ...(message.replyTo
              ? { message_reference: { message_id: message.replyTo, fail_if_not_exists: false } }
              : {}),
          },
          ...(options?.signal ? { signal: options.signal } : {}),
        })) as APIMessage;
        return { providerId: sent.id };
      } catch (error) {
        if (error instanceof PermanentSendError) throw error;
        throw toSendError(error, message.deliveryId);
      }
    },
  };
}

/** Discord's place for `buttons` (a survey's rating): rows of at most five grey buttons, `value` as `custom_id`. */
function actionRows(buttons: NonNullable<OutboundMessage["buttons"]>) {
  const rows = [];
  for (let i = 0; i < buttons.length; i += BUTTONS_PER_ROW) {
    rows.push({
      type: ComponentType.ActionRow,
      components: buttons.slice(i, i + BUTTONS_PER_ROW).map((b) => ({
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        label: b.label,
        custom_id: b.value,
      })),
    });
  }
  return rows;
}

/** Discord nonces hold at most 25 characters: a stable digest of the idempotency key fits. */
export function nonceOf(idempotencyKey: string): string {
  return createHash("sha256").update(idempotencyKey).digest("base64url").slice(0, 25);
}
