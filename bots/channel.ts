import type { SendingChannelName } from "../lib/channels.ts";
import type { Db } from "../lib/db/index.ts";

/** A rendered message ready for one channel. */
export interface OutboundMessage {
  /** The Delivery row this message belongs to: names outbox files and ties provider callbacks back. */
  deliveryId: string;
  /** Email address, chat id, or user id, as the channel understands it. */
  to: string;
  text: string;
  /** Email only. */
  subject?: string;
  /** Email only. */
  html?: string;
  /** Extra email headers (List-Unsubscribe, …). */
  headers?: Record<string, string>;
  /** The platform message this one answers, when the platform threads replies. */
  replyTo?: string;
  /**
   * Quick answers offered under the message (a rating 1–5): Telegram shows them as inline buttons whose
   * callback data is `value`; channels without buttons show the text alone (it says how to answer).
   */
  buttons?: Array<{ label: string; value: string }>;
  /**
   * A template the provider approved, sent instead of `text` (WhatsApp: every campaign message, and any
   * message outside the 24-hour customer-service window): its name, language code and body parameters, filled.
   */
  template?: { name: string; language: string; params: string[] };
  /** The campaign's `limits.max_segments`: an SMS taking more segments is not sent (bots/sms/channel.ts). */
  maxSegments?: number;
}

/** What the provider said when it accepted a message. */
export interface SentMessage {
  /** The provider's id for the message (Resend email id, Telegram "chat:message_id", outbox file path). */
  providerId: string;
}

/** Options of one send. */
export interface SendOptions {
  /** Aborted when the deliverer stops waiting for the provider's answer (its send timeout). */
  signal?: AbortSignal;
}

/**
 * One outbound transport. `send` resolves when the provider has accepted the message and throws
 * `RateLimitedError` (wait and retry), `TransientSendError` (retry with backoff) or `PermanentSendError`
 * (never retry). The same `idempotencyKey` sent twice must not produce two messages where the provider
 * supports it (`idempotent`).
 */
export interface Channel {
  readonly name: SendingChannelName;
  /** The provider's sustained rate: at most `max` sends per `durationMs`. */
  readonly limit: { max: number; durationMs: number };
  /**
   * True when sending the same `idempotencyKey` again never makes a second message (Resend's
   * Idempotency-Key, Discord's enforced nonce, the outbox's file): a send whose answer was lost is simply
   * sent again. Otherwise (Telegram, X) the deliverer sends at most once: a send that may have gone out
   * is never repeated (see workers/deliver.ts).
   */
  readonly idempotent?: boolean;
  send(message: OutboundMessage, idempotencyKey: string, options?: SendOptions): Promise<SentMessage>;
  /**
   * Before a written reply (a bot's or staff's, no template) in a conversation is rendered: what it answers on
   * this channel, handed back to {@link prepare} as `context.thread` (email: the customer's last email, for
   * the reply's subject, threading headers and quote). Absent: nothing to look up.
   */
  threadFor?(db: Db, conversationId: string): Promise<unknown>;
  /**
   * Shapes a rendered message the way this channel sends it (email: a written reply becomes a proper email
   * reply, marketing gets its RFC 8058 List-Unsubscribe headers). Must be deterministic: a retried batch sends
   * the same bytes. Absent: the message goes as rendered.
   */
  prepare?(message: OutboundMessage, context: PrepareContext): OutboundMessage;
}

/** A channel's message hooks: what a platform changes in the messages the deliverer renders for it. */
export type ChannelHooks = Pick<Channel, "threadFor" | "prepare">;

/** What {@link Channel.prepare} is told about the message it shapes. */
export interface PrepareContext {
  /** `reply`: a bot's or staff's written text; `template`: a campaign or transactional template, rendered. */
  kind: "reply" | "template";
  /** The customer's locale (any BCP 47 tag), null when unknown. */
  locale: string | null;
  /** The customer's IANA time zone (UTC when theirs is unknown or invalid). */
  timeZone: string;
  /** A reply written by the bot, not a person (automatic replies are marked so by email). */
  automatic: boolean;
  /** What {@link Channel.threadFor} found for the reply's conversation, if anything. */
  thread?: unknown;
  /** A marketing message's signed unsubscribe link (also in the template data as `links.unsubscribe`). */
  unsubscribeUrl?: string;
}

/** One message of a batch the provider refused on its own (bad address, missing subject); the others went out. */
export interface RejectedMessage {
  /** The provider's reason, e.g. "Invalid `to` field. …". */
  error: string;
  /** Always true: sending the same message again cannot succeed. */
  permanent: true;
}

/** What became of each message of a batch, in the order they were given. */
export type BatchResult = Array<SentMessage | RejectedMessage>;

/**
 * A channel that also sends many messages in one provider call (Resend's `POST /emails/batch`). The whole batch
 * shares one `idempotencyKey`, so a retry must repeat the same messages in the same order. `sendBatch` throws
 * the same errors as `send` when the provider refuses the call as a whole; a message refused on its own comes
 * back as a {@link RejectedMessage} in its place.
 */
export interface BatchChannel extends Channel {
  /** Most messages one `sendBatch` call may carry. */
  readonly maxBatch: number;
  sendBatch(messages: OutboundMessage[], idempotencyKey: string, options?: SendOptions): Promise<BatchResult>;
}

/** True when `channel` can send batches. */
export function isBatchChannel(channel: Channel): channel is BatchChannel {
  const candidate = channel as Partial<BatchChannel>;
  return typeof candidate.sendBatch === "function" && typeof candidate.maxBatch === "number";
}

/** True when a batch result entry is a message the provider refused on its own. */
export function isRejected(result: SentMessage | RejectedMessage): result is RejectedMessage {
  return "error" in result;
}
