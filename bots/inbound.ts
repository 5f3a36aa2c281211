import type { SendingChannelName } from "../lib/channels.ts";
import type { Prisma } from "../lib/db/index.ts";
import type { BotTextKey } from "./i18n.ts";
import type { SenderProfile } from "./identity.ts";

/**
 * A message from a customer, whatever the platform: every adapter turns its payload into this and hands it
 * to the conversation core (`onMessage`). Platform casing (`chat_id`) stays inside the adapters.
 */
export interface InboundMessage {
  channel: SendingChannelName;
  /**
   * The platform's message id, qualified so it is unique per channel (Telegram message ids are per chat:
   * "chatId:messageId"). The same id delivered again is stored once.
   */
  externalId: string;
  sender: SenderProfile;
  /** Where replies go on the platform: chat id, channel or thread id, tweet id, DM conversation id. */
  threadRef: string;
  /**
   * The text. Commands arrive as text too: "/stop", "/start <payload>", "/link <code>", "/rate 4", "/help"
   * (a Discord slash command or a Telegram button is turned into the same text by its adapter).
   */
  text: string;
  /** The platform's own timestamp: the conversation is ordered by it, not by arrival. */
  sentAt: Date;
  /** "edit": the customer edited `externalId`; the stored interaction is updated, nothing is answered. */
  kind?: "message" | "edit";
  /**
   * False for social listening: a public mention not addressed to the brand is captured on the customer's
   * profile without opening a conversation or answering. Defaults to true.
   */
  conversational?: boolean;
  /**
   * Set for a public post about the brand (an X mention or keyword-search hit): the listening desk keeps a row
   * for it (bots/listening.ts), whether or not it opens a conversation. `keywords` are the configured keywords
   * the post contains, with "mention" first when it addresses the brand.
   */
  listening?: { keywords: string[] };
  /**
   * The conversation this message answers, when the platform says so (an email whose In-Reply-To is a message
   * Rapport sent in that conversation). Used when it is the sender's, on this channel and not closed; else the
   * customer's latest open conversation on the channel, as without it.
   */
  conversationId?: string;
  /** The platform message to reply to, when the platform threads replies (tweet id, Discord message id). */
  replyTo?: string;
  /**
   * The sender's own phone number, proven by the platform (a Telegram contact card whose user is the sender),
   * E.164 with "+". It may join the sender to the customer who has that number.
   */
  sharedPhone?: string;
  /**
   * A phone number the sender showed that is not proven theirs (a Telegram contact card of someone else),
   * E.164 with "+": kept as an unverified claim on the sender's customer, never merged.
   */
  claimedPhone?: string;
  attachments?: Prisma.InputJsonValue;
  /**
   * The bot texts this platform says instead of the usual ones, by key: SMS answers STOP, START and HELP with
   * keywords rather than /commands (bots/sms/inbound.ts). Absent: the usual texts.
   */
  texts?: Partial<Record<BotTextKey, BotTextKey>>;
  /** The platform payload, kept for audit and re-processing. */
  raw?: Prisma.InputJsonValue;
}

/** What an adapter calls for every inbound message. Resolves once the message is stored (and answered). */
export type InboundHandler = (message: InboundMessage) => Promise<void>;
