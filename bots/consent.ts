import type { ChannelName } from "../lib/channels.ts";
import type { Db, Prisma } from "../lib/db/index.ts";

/**
 * Records a customer's marketing choice on one channel: `denied` stores the opt-out on the customer and
 * adds a Suppression for the address (checked again at send time); `granted` removes an opt-out
 * suppression (never a bounce or complaint).
 */
export async function setConsent(
  db: Db,
  input: {
    customerId: string;
    channel: ChannelName;
    address: string;
    status: "granted" | "denied";
    via: string;
    at: Date;
  },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const customer = await tx.customer.findUniqueOrThrow({
      where: { id: input.customerId },
      select: { consent: true },
    });
    const consent = { ...((customer.consent ?? {}) as Record<string, unknown>) };
    consent[input.channel] = { status: input.status, at: input.at.toISOString(), via: input.via };
    await tx.customer.update({
      where: { id: input.customerId },
      data: { consent: consent as Prisma.InputJsonValue },
    });
    if (input.status === "denied") {
      await tx.suppression.upsert({
        where: { channel_address: { channel: input.channel, address: input.address } },
        create: {
          channel: input.channel,
          address: input.address,
          customerId: input.customerId,
          reason: "stopped",
          source: input.via,
        },
        update: {},
      });
    } else {
      await tx.suppression.deleteMany({
        where: {
          channel: input.channel,
          address: input.address,
          reason: { in: ["stopped", "unsubscribed"] },
        },
      });
    }
  });
}
