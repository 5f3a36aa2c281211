import type { SendingChannelName } from "../lib/channels.ts";

/**
 * A message the bot sends by itself: an auto-reply, a command's answer, a survey question. It becomes a
 * transactional Delivery (the same outbox and `deliver-<channel>` queue as campaigns), so rate limits,
 * retries and exactly-once apply to it too.
 */
export interface BotReply {
  /** Idempotency key, derived from what caused the reply (the inbound interaction, the survey). */
  key: string;
  customerId: string;
  conversationId: string | null;
  channel: SendingChannelName;
  /** Where it goes on the platform: the conversation's threadRef. */
  to: string;
  text: string;
  locale: string;
  replyTo?: string;
  buttons?: Array<{ label: string; value: string }>;
  /**
   * A template of `templates/` to render (in `locale`) instead of `text`, with its data: a transactional
   * message with wording of its own, such as the email verification code.
   */
  template?: string;
  data?: Record<string, unknown>;
}

/** Queues a bot reply for delivery. Injected by the wiring (`cli/`), implemented by `workers/`. */
export type SendReply = (reply: BotReply) => Promise<void>;
