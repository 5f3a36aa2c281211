import type { OutboundMessage } from "../bots/index.ts";
import type { ChannelName } from "../lib/channels.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/** A message the provider accepted. */
export interface SentRecord {
  delivery: {
    id: string;
    customerId: string;
    conversationId: string | null;
    channel: ChannelName;
    /** The Delivery's data: a staff reply's carries `author: "staff"` and `staffUserId`. */
    data?: unknown;
  };
  message: OutboundMessage;
  providerId: string;
}

/** Who wrote a sent message: the staff member named in the Delivery's data, else the bot. */
export function authorOf(data: unknown): { author: "bot" | "staff"; staffUserId: string | null } {
  const fields = (data ?? {}) as { author?: unknown; staffUserId?: unknown };
  if (fields.author === "staff" && typeof fields.staffUserId === "string")
    return { author: "staff", staffUserId: fields.staffUserId };
  return { author: "bot", staffUserId: null };
}

/**
 * Marks Deliveries sent and adds each message to the customer's history as an outbound Interaction (author
 * "bot", or the staff member a console reply names), in one transaction: a crash leaves either both or
 * neither (and then the provider's idempotency key makes the retry harmless).
 */
export async function recordSent(db: Db, sent: readonly SentRecord[], now: Date): Promise<void> {
  if (sent.length === 0) return;
  const values = Prisma.join(sent.map((s) => Prisma.sql`(${s.delivery.id}::uuid, ${s.providerId})`));
  await db.$transaction([
    db.$executeRaw(Prisma.sql`
      UPDATE "Delivery" d SET status = 'sent', "sentAt" = ${now}, "providerId" = v.pid,
        attempts = d.attempts + 1, error = NULL, "updatedAt" = ${now}
      FROM (VALUES ${values}) AS v(id, pid) WHERE d.id = v.id`),
    db.interaction.createMany({
      data: sent.map((s) => ({
        customerId: s.delivery.customerId,
        conversationId: s.delivery.conversationId,
        channel: s.delivery.channel,
        direction: "outbound" as const,
        ...authorOf(s.delivery.data),
        externalId: `${s.delivery.channel}:${s.providerId}`,
        text: s.message.subject ? `${s.message.subject}\n\n${s.message.text}` : s.message.text,
        sentAt: now,
        deliveryId: s.delivery.id,
      })),
      skipDuplicates: true,
    }),
  ]);
}

/** Records an outcome other than sent: failed (with the provider's reason), suppressed or skipped. */
export async function recordOutcome(
  db: Db,
  ids: readonly string[],
  outcome: { status: "failed" | "suppressed" | "skipped"; reason: string; error?: string },
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db.delivery.updateMany({
    where: { id: { in: [...ids] } },
    data: {
      status: outcome.status,
      reason: outcome.reason,
      error: outcome.error ?? null,
      ...(outcome.status === "failed" && { failedAt: now }),
    },
  });
}
