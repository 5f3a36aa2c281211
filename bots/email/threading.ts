import { z } from "zod";
import type { Db } from "../../lib/db/index.ts";
import { deliveryIdIn } from "./message-id.ts";

/** A Delivery Rapport sent by email that a customer's email answers. */
export interface RepliedDelivery {
  id: string;
  customerId: string;
  conversationId: string | null;
  recipient: string | null;
}

/**
 * The Delivery a customer's email answers: the first of its parent message ids (`In-Reply-To`, then
 * `References` newest first) that is the Message-ID of an email Rapport sent (`<delivery-id@domain>`).
 */
export async function findRepliedDelivery(db: Db, parentIds: string[]): Promise<RepliedDelivery | undefined> {
  const ids = [...new Set(parentIds.map(deliveryIdIn).filter((id): id is string => id !== undefined))];
  if (ids.length === 0) return undefined;
  const found = await db.delivery.findMany({
    where: { id: { in: ids }, channel: "email" },
    select: { id: true, customerId: true, conversationId: true, recipient: true },
  });
  return ids.map((id) => found.find((d) => d.id === id)).find((d) => d !== undefined);
}

/**
 * Makes sure the sender's address leads to the right customer before the conversation core resolves it: an
 * address with no email identity yet is attached to the customer who has it as their email (a shop
 * customer, or one who gave it in a chat), else to the customer of the Delivery being answered when it was
 * sent to that very address. An address nobody has is left alone: the core creates its customer.
 */
export async function attachSenderAddress(
  db: Db,
  address: string,
  replied: RepliedDelivery | undefined,
): Promise<void> {
  const identity = await db.identity.findUnique({
    where: { channel_externalId: { channel: "email", externalId: address } },
    select: { id: true },
  });
  if (identity) return;
  const owner = await db.customer.findUnique({ where: { email: address }, select: { id: true } });
  const customerId =
    owner?.id ?? (replied && replied.recipient?.toLowerCase() === address ? replied.customerId : undefined);
  if (!customerId) return;
  await db.identity.createMany({
    data: [{ customerId, channel: "email", externalId: address }],
    skipDuplicates: true,
  });
}

/** What an inbound email Interaction keeps in `raw.email`, as far as a reply needs it. */
const StoredFacts = z.object({
  subject: z.string().catch(""),
  messageId: z.string().nullish(),
  inReplyTo: z.array(z.string()).catch([]),
  references: z.array(z.string()).catch([]),
  from: z.string().catch(""),
});

/** The customer's last email in a conversation, for answering it in the same thread. */
export interface EmailThread {
  subject: string;
  /** Its Message-ID, "<…>", or null when it had none. */
  messageId: string | null;
  /** The `References` of a reply to it: its own references (else its In-Reply-To) and its Message-ID. */
  references: string[];
  /** Its sender, "Name <address>". */
  from: string;
  /** Its new text (quoted history stripped). */
  text: string;
  sentAt: Date;
}

/** Most message ids carried in `References`: the thread's first and its latest ones. */
export const MAX_REFERENCES = 20;

/**
 * The customer's latest email in a conversation, or undefined when the conversation holds none (then a
 * reply starts a thread of its own).
 */
export async function emailThreadOf(db: Db, conversationId: string): Promise<EmailThread | undefined> {
  const last = await db.interaction.findFirst({
    where: { conversationId, channel: "email", direction: "inbound" },
    orderBy: { sentAt: "desc" },
    select: { raw: true, text: true, sentAt: true },
  });
  const facts = StoredFacts.safeParse((last?.raw as { email?: unknown } | null)?.email);
  if (!last || !facts.success) return undefined;
  const { subject, messageId, inReplyTo, references, from } = facts.data;
  const chain = [...(references.length > 0 ? references : inReplyTo), ...(messageId ? [messageId] : [])];
  const trimmed = chain.length > MAX_REFERENCES ? [chain[0]!, ...chain.slice(-(MAX_REFERENCES - 1))] : chain;
  return {
    subject,
    messageId: messageId ?? null,
    references: trimmed,
    from,
    text: last.text,
    sentAt: last.sentAt,
  };
}
