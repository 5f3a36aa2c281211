import { type Db, isUniqueViolation } from "../lib/db/index.ts";
import { resolveIdentity } from "./identity.ts";
import type { InboundMessage } from "./inbound.ts";

export type { InboundMessage } from "./inbound.ts";

/** What capture did with a message. Redelivery is an expected outcome, not an error. */
export type CaptureResult =
  | {
      kind: "stored";
      interactionId: string;
      conversationId: string;
      customerId: string;
      /** True when this message created the customer. */
      newCustomer: boolean;
      /** True when this message opened a new conversation. */
      newConversation: boolean;
    }
  | { kind: "duplicate"; interactionId: string; customerId: string };

/**
 * Stores an inbound message once: resolves the customer from the sender's identity, finds or opens the
 * conversation on that channel, and records the interaction. The same platform message delivered again
 * (webhook retries, polling overlap) returns `duplicate` and changes nothing.
 */
export async function captureMessage(db: Db, message: InboundMessage): Promise<CaptureResult> {
  const seen = await findInteraction(db, message);
  if (seen) return seen;
  const { customerId, created } = await resolveIdentity(db, message.channel, message.sender);
  try {
    return await db.$transaction(async (tx) => {
      const open = await tx.conversation.findFirst({
        where: { customerId, channel: message.channel, status: { not: "closed" } },
        orderBy: { lastMessageAt: "desc" },
        select: { id: true, lastMessageAt: true },
      });
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
        data: {
          customerId,
          conversationId: conversation.id,
          channel: message.channel,
          direction: "inbound",
          author: "customer",
          externalId: message.externalId,
          text: message.text,
          sentAt: message.sentAt,
          attachments: message.attachments,
          raw: message.raw,
        },
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
      await tx.customer.update({ where: { id: customerId }, data: { lastInteractionAt: message.sentAt } });
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

async function findInteraction(db: Db, message: InboundMessage): Promise<CaptureResult | undefined> {
  const found = await db.interaction.findUnique({
    where: { channel_externalId: { channel: message.channel, externalId: message.externalId } },
    select: { id: true, customerId: true },
  });
  return found ? { kind: "duplicate", interactionId: found.id, customerId: found.customerId } : undefined;
}
