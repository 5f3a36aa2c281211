import { cleanId, cleanJson, cleanText } from "../lib/clean-text.ts";
import { type Db, isUniqueViolation, type Prisma } from "../lib/db/index.ts";
import { resolveIdentity } from "./identity.ts";
import type { InboundMessage } from "./inbound.ts";
import { recordListeningHit } from "./listening.ts";

export type { InboundMessage } from "./inbound.ts";

/** What capture did with a message. Redelivery is an expected outcome, not an error. */
export type CaptureResult =
  | {
      kind: "stored";
      interactionId: string;
      /** Null for social listening (`conversational: false`). */
      conversationId: string | null;
      customerId: string;
      /** True when this message created the customer. */
      newCustomer: boolean;
      /** True when this message opened a new conversation. */
      newConversation: boolean;
      /** True when the message is a listening hit whose desk row is new or changed (bots/listening.ts). */
      listening?: boolean;
    }
  | { kind: "duplicate"; interactionId: string; customerId: string };

/** Options of {@link captureMessage}. */
export interface CaptureOptions {
  /**
   * A closed conversation of the sender (once known) to store the message in, as it is, instead of
   * finding or opening one: an answer to that conversation's survey belongs to it and must not reopen it
   * nor start a new one. `undefined` captures as usual.
   */
  closedConversation?: (customerId: string) => Promise<string | undefined>;
}

/**
 * Stores an inbound message once: resolves the customer from the sender's identity, finds or opens the
 * conversation on that channel, and records the interaction. The same platform message delivered again
 * (webhook retries, polling overlap) returns `duplicate` and changes nothing.
 */
export async function captureMessage(
  db: Db,
  given: InboundMessage,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const message = cleanInboundMessage(given);
  const result = await captureOnce(db, message, options);
  if (!message.listening) return result;
  // after the interaction, and for a duplicate too: a crash in between is mended when the post comes again
  const listening = await recordListeningHit(db, result.interactionId, message);
  return result.kind === "stored" ? { ...result, listening } : result;
}

async function captureOnce(db: Db, message: InboundMessage, options: CaptureOptions): Promise<CaptureResult> {
  const seen = await findInteraction(db, message);
  if (seen) return seen;
  const { customerId, created } = await resolveIdentity(db, message.channel, message.sender);
  if (message.conversational === false) return storeAlone(db, message, customerId, null, created);
  const closed = await options.closedConversation?.(customerId);
  if (closed) return storeAlone(db, message, customerId, closed, created);
  try {
    return await db.$transaction(async (tx) => {
      const where = { customerId, channel: message.channel, status: { not: "closed" as const } };
      const select = { id: true, lastMessageAt: true };
      const open =
        (message.conversationId &&
          (await tx.conversation.findFirst({ where: { ...where, id: message.conversationId }, select }))) ||
        (await tx.conversation.findFirst({ where, orderBy: { lastMessageAt: "desc" }, select }));
      const conversation =
        open ??
        (await tx.conversation.create({
          data: {
            customerId,
            channel: message.channel,
            threadRef: message.threadRef,
            lastMessageAt: message.sentAt,
          },
          select: { id: true, lastMessageAt: true },
        }));
      const interaction = await tx.interaction.create({
        data: inboundRow(message, customerId, conversation.id),
        select: { id: true },
      });
      await tx.conversation.update({
        where: { id: conversation.id },
        data: {
          unreadCount: { increment: 1 },
          threadRef: message.threadRef,
          // out-of-order delivery must not move the conversation back in time
          lastMessageAt: message.sentAt > conversation.lastMessageAt ? message.sentAt : undefined,
        },
      });
      // nor the customer's last activity (the inactive trigger reads it)
      await tx.customer.updateMany({
        where: {
          id: customerId,
          OR: [{ lastInteractionAt: null }, { lastInteractionAt: { lt: message.sentAt } }],
        },
        data: { lastInteractionAt: message.sentAt },
      });
      return {
        kind: "stored" as const,
        interactionId: interaction.id,
        conversationId: conversation.id,
        customerId,
        newCustomer: created,
        newConversation: !open,
      };
    });
  } catch (error) {
    // the same message arrived twice at once: the other copy won the unique (channel, externalId)
    if (isUniqueViolation(error)) {
      const raced = await findInteraction(db, message);
      if (raced) return raced;
    }
    throw error;
  }
}

/**
 * Stores the message alone, in the given conversation without touching it: a public mention not addressed
 * to the brand (no conversation to answer), or a survey answer kept in its closed conversation (nothing
 * reopens it or counts as unread).
 */
async function storeAlone(
  db: Db,
  message: InboundMessage,
  customerId: string,
  conversationId: string | null,
  created: boolean,
): Promise<CaptureResult> {
  try {
    const interaction = await db.interaction.create({
      data: inboundRow(message, customerId, conversationId),
      select: { id: true },
    });
    return {
      kind: "stored",
      interactionId: interaction.id,
      conversationId,
      customerId,
      newCustomer: created,
      newConversation: false,
    };
  } catch (error) {
    const raced = isUniqueViolation(error) ? await findInteraction(db, message) : undefined;
    if (raced) return raced;
    throw error;
  }
}

/**
 * Applies a customer's edit of a message they sent: the stored text changes and `editedAt` is set. An edit of
 * a message never seen is stored as the message. Returns whether anything was stored or changed.
 */
export async function captureEdit(db: Db, given: InboundMessage): Promise<CaptureResult> {
  const message = cleanInboundMessage(given);
  const updated = await db.interaction.updateMany({
    where: { channel: message.channel, externalId: message.externalId, direction: "inbound" },
    data: { text: message.text, editedAt: message.sentAt, attachments: message.attachments },
  });
  if (updated.count === 0) return captureMessage(db, { ...message, kind: "message" });
  const found = await findInteraction(db, message);
  return found!;
}

/** Bounds of an adapter's `raw` and `attachments`: real platform payloads are far smaller and shallower. */
const PAYLOAD_LIMITS = { maxDepth: 64, maxKeys: 100_000 };

/**
 * The message without U+0000 and lone surrogates (in its text, ids, attachments and raw payload, keys
 * included), which PostgreSQL refuses in `text` and `jsonb`. Every channel's messages pass here, so a NUL in a
 * Telegram, Discord, X, web chat or email message is dropped rather than failing the capture. A payload
 * beyond {@link PAYLOAD_LIMITS} is kept as a note saying so, and an id too long for an index as its hash
 * (`cleanId`). The sender's profile is cleaned by
 * `resolveIdentity`.
 */
export function cleanInboundMessage(message: InboundMessage): InboundMessage {
  return {
    ...message,
    externalId: cleanId(message.externalId),
    threadRef: cleanText(message.threadRef),
    text: cleanText(message.text),
    ...(message.attachments !== undefined && { attachments: cleanPayload(message.attachments) }),
    ...(message.raw !== undefined && { raw: cleanPayload(message.raw) }),
  };
}

function cleanPayload(value: Prisma.InputJsonValue): Prisma.InputJsonValue {
  const cleaned = cleanJson(value, PAYLOAD_LIMITS);
  return (cleaned.ok ? cleaned.value : { unreadable: `payload ${cleaned.message}` }) as Prisma.InputJsonValue;
}

/** The Interaction row of a customer's message. */
function inboundRow(message: InboundMessage, customerId: string, conversationId: string | null) {
  return {
    customerId,
    conversationId,
    channel: message.channel,
    direction: "inbound" as const,
    author: "customer" as const,
    externalId: message.externalId,
    text: message.text,
    sentAt: message.sentAt,
    attachments: message.attachments,
    raw: message.raw,
  };
}

async function findInteraction(db: Db, message: InboundMessage): Promise<CaptureResult | undefined> {
  const found = await db.interaction.findUnique({
    where: { channel_externalId: { channel: message.channel, externalId: message.externalId } },
    select: { id: true, customerId: true },
  });
  return found ? { kind: "duplicate", interactionId: found.id, customerId: found.customerId } : undefined;
}
