import type { TwitterApi } from "twitter-api-v2";
import { z } from "zod";
import { type Clock, systemClock } from "../../lib/clock.ts";
import { PermanentSendError } from "../../lib/errors.ts";
import type { Channel, OutboundMessage, SentMessage } from "../channel.ts";
import { toSendError } from "./errors.ts";
import { DM_LIMIT, fitText, POST_LIMIT } from "./text.ts";

/** `POST /2/tweets` answers `{ data: { id, text } }`. */
const PostedTweet = z.looseObject({ data: z.looseObject({ id: z.string() }) });
/**
 * `POST /2/dm_conversations/with/:id/messages` answers `{ data: { dm_conversation_id, dm_event_id } }`
 * (twitter-api-v2 1.29 types it without `data`, so the body is read here rather than trusted).
 */
const SentDm = z.looseObject({ data: z.looseObject({ dm_event_id: z.string() }) });

/** Options for {@link createXChannel}. */
export interface XChannelOptions {
  /** Turns a 429's `x-rate-limit-reset` into a wait. Defaults to the wall clock. */
  clock?: Clock;
}

/**
 * X as an outbound channel. `to` "dm:<user id>" sends a direct message; anything else is a reply post to
 * `replyTo` (else to `to`, a post id). Posts over 280 characters are cut at a word with "…" (see `fitText`).
 * X has no idempotency key: a retried post that already went out comes back as a 403 duplicate, which is
 * permanent, so exactly-once rests on the Delivery row. The limit is X's 100 posts per 15 minutes per user.
 */
export function createXChannel(client: TwitterApi, options: XChannelOptions = {}): Channel {
  const clock = options.clock ?? systemClock;
  return {
    name: "x",
    limit: { max: 100, durationMs: 900_000 },
    async send(message: OutboundMessage): Promise<SentMessage> {
      try {
        if (message.to.startsWith("dm:")) {
          const sent = await client.v2.post(
            "dm_conversations/with/:participant_id/messages",
            { text: fitText(message.text, DM_LIMIT) },
            { params: { participant_id: message.to.slice(3) } },
          );
          return { providerId: `dm:${accepted(SentDm, sent).data.dm_event_id}` };
        }
        const posted = await client.v2.post("tweets", {
          text: fitText(message.text, POST_LIMIT),
          reply: { in_reply_to_tweet_id: message.replyTo ?? message.to },
        });
        return { providerId: accepted(PostedTweet, posted).data.id };
      } catch (error) {
        throw toSendError(error, { deliveryId: message.deliveryId, now: clock.now() });
      }
    },
  };
}

/**
 * X said yes but the body is not what X sends: the message probably went out, so retrying could send it twice.
 * Permanent, with the body in the message for whoever looks.
 */
function accepted<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new PermanentSendError(`X accepted the send but answered ${JSON.stringify(body).slice(0, 300)}`, {
    channel: "x",
  });
}
