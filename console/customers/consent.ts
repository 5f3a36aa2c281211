import { z } from "zod";
import { recordConsent } from "../../bots/consent.ts";
import { SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { cleanText } from "../../lib/clean-text.ts";
import type { Db } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { isUuid } from "./ids.ts";

/** The staff's consent form: which channel, the customer's answer, and why staff records it. */
export const StaffConsentForm = z.object({
  channel: z.enum(SENDING_CHANNEL_NAMES),
  status: z.enum(["granted", "denied"]),
  // without U+0000 and lone surrogates, which PostgreSQL cannot store
  reason: z.string().overwrite(cleanText).trim().min(3).max(500),
});

/**
 * Records a consent answer a customer gave to staff (on the phone, in a shop, in writing): a ConsentEvent with
 * source `staff` and the staff user and reason as evidence, the address's opt-out suppression set or lifted as
 * the chat commands do, and an audit entry `customer.consent`; all in one transaction.
 */
export async function staffSetConsent(
  db: Db,
  customerId: string,
  form: z.infer<typeof StaffConsentForm>,
  actor: { staffUserId: string; at: Date },
): Promise<"recorded" | "unchanged" | "not_found"> {
  if (!isUuid(customerId)) return "not_found";
  const id = customerId.toLowerCase();
  return db.$transaction(async (tx) => {
    const customer = await tx.customer.findUnique({
      where: { id },
      select: {
        email: true,
        mergedIntoId: true,
        identities: { where: { channel: form.channel }, select: { externalId: true } },
      },
    });
    if (!customer || customer.mergedIntoId) return "not_found";
    const changed = await recordConsent(tx, {
      customerId: id,
      channel: form.channel,
      status: form.status,
      source: "staff",
      evidence: { staffUserId: actor.staffUserId, reason: form.reason },
      at: actor.at,
    });
    if (!changed) return "unchanged";
    const addresses = [
      ...(form.channel === "email" && customer.email ? [customer.email] : []),
      ...customer.identities.map((i) => i.externalId),
    ];
    for (const address of addresses) {
      if (form.status === "denied") {
        await tx.suppression.upsert({
          where: { channel_address: { channel: form.channel, address } },
          create: { channel: form.channel, address, customerId: id, reason: "manual", source: "staff" },
          update: {},
        });
      } else {
        await tx.suppression.deleteMany({
          where: { channel: form.channel, address, reason: { in: ["stopped", "unsubscribed", "manual"] } },
        });
      }
    }
    await recordAudit(tx, {
      staffUserId: actor.staffUserId,
      action: "customer.consent",
      targetType: "Customer",
      targetId: id,
      data: { channel: form.channel, status: form.status, reason: form.reason },
      at: actor.at,
    });
    return "recorded";
  });
}
