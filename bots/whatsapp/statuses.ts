import { z } from "zod";
import type { Db } from "../../lib/db/index.ts";
import { failDelivery, stampDelivery } from "../provider-status.ts";
import type { WhatsAppNotification } from "./inbound.ts";

/** One `statuses[]` item of a notification: what became of a message Rapport sent (its wamid). */
const WaStatus = z.object({
  id: z.string().min(1).max(256),
  status: z.string(),
  timestamp: z.string().regex(/^\d{1,12}$/),
  recipient_id: z.string().optional(),
  errors: z
    .array(
      z.object({
        code: z.number().optional(),
        title: z.string().optional(),
        message: z.string().optional(),
        error_data: z.object({ details: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});
export type WhatsAppStatus = z.infer<typeof WaStatus>;

/** Every status of a notification that reads as one (the others are skipped). */
export function statusesOf(notification: WhatsAppNotification): WhatsAppStatus[] {
  return notification.entry.flatMap((entry) =>
    entry.changes.flatMap((change) =>
      (change.value.statuses ?? []).flatMap((raw) => {
        const parsed = WaStatus.safeParse(raw);
        return parsed.success ? [parsed.data] : [];
      }),
    ),
  );
}

/** What applying a status did. */
export type StatusOutcome = "recorded" | "unchanged" | "unknown_message" | "ignored";

/**
 * Records a status on the Delivery whose `providerId` is its wamid, as Resend's events are: `sent` fills a
 * missing `sentAt`, `delivered` and `read` stamp `deliveredAt` and `openedAt` (the earliest wins, whatever
 * order they arrive in); `failed` marks the Delivery failed (reason `provider_failed`) with Meta's error code
 * and text, unless it was already failed. The same status twice changes nothing the second time.
 */
export async function applyWhatsAppStatus(db: Db, status: WhatsAppStatus): Promise<StatusOutcome> {
  const delivery = await db.delivery.findFirst({
    where: { channel: "whatsapp", providerId: status.id },
    select: { id: true },
  });
  if (!delivery) return "unknown_message";
  const at = new Date(Number(status.timestamp) * 1000);
  if (status.status === "failed") {
    const error = status.errors?.[0];
    const text = error
      ? `WhatsApp ${error.code ?? ""} ${error.title ?? error.message ?? ""}${error.error_data?.details ? `: ${error.error_data.details}` : ""}`
      : "WhatsApp: failed";
    return failDelivery(db, delivery.id, text.replace(/\s+/g, " ").trim(), at);
  }
  return (await stampDelivery(db, delivery.id, status.status, at)) ?? "ignored";
}
