import type { Db } from "../lib/db/index.ts";

/** A chat provider's delivery status, as WhatsApp and Twilio name them, and the Delivery time it stamps. */
const STAMPS = { sent: "sentAt", delivered: "deliveredAt", read: "openedAt" } as const;

/** What recording a status did: changed the Delivery, or found it so already. */
export type StatusRecorded = "recorded" | "unchanged";

/**
 * Records a provider's status on a Delivery, as Resend's events are: `sent` fills a missing `sentAt`,
 * `delivered` and `read` stamp `deliveredAt` and `openedAt` (the earliest wins, whatever order they arrive in).
 * Undefined for a status that stamps nothing (queued, sending…). The same status twice changes nothing.
 */
export async function stampDelivery(
  db: Db,
  deliveryId: string,
  status: string,
  at: Date,
): Promise<StatusRecorded | undefined> {
  const stamp = STAMPS[status as keyof typeof STAMPS];
  if (!stamp) return undefined;
  const unset = { [stamp]: null };
  const { count } = await db.delivery.updateMany({
    where: { id: deliveryId, OR: stamp === "sentAt" ? [unset] : [unset, { [stamp]: { gt: at } }] },
    data: { [stamp]: at },
  });
  return count > 0 ? "recorded" : "unchanged";
}

/** Marks a Delivery the provider could not deliver failed (reason `provider_failed`), unless it already is. */
export async function failDelivery(
  db: Db,
  deliveryId: string,
  error: string,
  at: Date,
): Promise<StatusRecorded> {
  const { count } = await db.delivery.updateMany({
    where: { id: deliveryId, status: { not: "failed" } },
    data: { status: "failed", reason: "provider_failed", error, failedAt: at },
  });
  return count > 0 ? "recorded" : "unchanged";
}
