import type { Db, Prisma } from "../lib/db/index.ts";

/**
 * Marks the Rapport coupons among an order's discount codes as redeemed by it: `redeemedAt`, the order id and
 * its Event. Codes are matched without regard to case (shops upper-case or keep what the customer typed);
 * a code already redeemed keeps its first order. Returns how many coupons this order redeemed.
 */
export async function redeemCoupons(
  db: Db | Prisma.TransactionClient,
  input: { codes: readonly string[]; orderId: string; eventId: string; at: Date },
): Promise<number> {
  const codes = [...new Set(input.codes.map((c) => c.trim().toUpperCase()).filter(Boolean))];
  if (codes.length === 0) return 0;
  const { count } = await db.coupon.updateMany({
    where: { code: { in: codes }, redeemedAt: null },
    data: { redeemedAt: input.at, redeemedOrderId: input.orderId, redeemedEventId: input.eventId },
  });
  return count;
}
