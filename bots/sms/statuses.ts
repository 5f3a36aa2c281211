import { z } from "zod";
import type { Db } from "../../lib/db/index.ts";
import { failDelivery, stampDelivery } from "../provider-status.ts";

/** Twilio's `MessageStatus` values of an outbound message. */
const STATUSES = [
  "accepted",
  "scheduled",
  "queued",
  "sending",
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "read",
  "canceled",
] as const;

/** The fields of a Twilio message status callback Rapport reads (form-encoded). */
export const TwilioSmsStatusForm = z.looseObject({
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/, {
    error: "expected Twilio's message id, SM or MM and 32 hex digits",
  }),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, {
    error: "expected Twilio's account id, AC and 32 hex digits",
  }),
  MessageStatus: z.enum(STATUSES, { error: `expected one of ${STATUSES.join(", ")}` }),
  ErrorCode: z
    .string()
    .regex(/^\d{0,6}$/, { error: "expected Twilio's numeric error code" })
    .optional(),
  ErrorMessage: z.string().max(1_024).optional(),
});
export type TwilioSmsStatus = z.infer<typeof TwilioSmsStatusForm>;

/** What applying a status did. */
export type SmsStatusOutcome = "recorded" | "unchanged" | "unknown_message" | "ignored";

/**
 * Records a status callback on the Delivery whose `providerId` is its MessageSid, as WhatsApp's statuses are:
 * `sent` fills a missing `sentAt`, `delivered` (and `read`, RCS) stamp `deliveredAt` (`openedAt`), the earliest
 * winning; `undelivered` and `failed` mark the Delivery failed (reason `provider_failed`) with Twilio's error
 * code, unless it already is. The queued and sending steps change nothing; the same status twice neither.
 */
export async function applySmsStatus(db: Db, status: TwilioSmsStatus, at: Date): Promise<SmsStatusOutcome> {
  const delivery = await db.delivery.findFirst({
    where: { channel: "sms", providerId: status.MessageSid },
    select: { id: true },
  });
  if (!delivery) return "unknown_message";
  if (status.MessageStatus === "failed" || status.MessageStatus === "undelivered") {
    const code = status.ErrorCode ? ` ${status.ErrorCode}` : "";
    const text = `Twilio ${status.MessageStatus}${code}${status.ErrorMessage ? `: ${status.ErrorMessage}` : ""}`;
    return failDelivery(db, delivery.id, text, at);
  }
  return (await stampDelivery(db, delivery.id, status.MessageStatus, at)) ?? "ignored";
}
