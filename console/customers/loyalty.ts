import { z } from "zod";
import {
  appendLoyaltyEntry,
  balanceOf,
  lockLoyaltyCustomer,
  loyaltyHistory,
  settleExpiry,
} from "../../bots/loyalty-ledger.ts";
import { cleanText } from "../../lib/clean-text.ts";
import type { Db } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import { isUuid } from "./ids.ts";

/** What the profile's loyalty section shows. */
export interface CustomerLoyalty {
  customerId: string;
  points: number;
  tier: string | null;
  history: Awaited<ReturnType<typeof loyaltyHistory>>;
  /** The outcome of the form just sent (`?loyalty=` after the redirect), to show as a notice. */
  notice?: { kind: "done" | "invalid" | "insufficient"; balance?: number };
}

const Notice = z.object({
  loyalty: z.enum(["done", "invalid", "insufficient"]).optional().catch(undefined),
  balance: z.coerce.number().int().optional().catch(undefined),
});

/** The balance, tier and newest 50 ledger entries of a customer, with the notice of the form just sent. */
export async function customerLoyalty(
  db: Db,
  customerId: string,
  query: unknown = {},
): Promise<CustomerLoyalty> {
  const customer = await db.customer.findUniqueOrThrow({
    where: { id: customerId },
    select: { loyaltyPoints: true, loyaltyTier: true },
  });
  const { loyalty, balance } = Notice.parse(query ?? {});
  return {
    customerId,
    points: customer.loyaltyPoints,
    tier: customer.loyaltyTier,
    history: await loyaltyHistory(db, customerId),
    ...(loyalty && { notice: { kind: loyalty, ...(balance !== undefined && { balance }) } }),
  };
}

/** The staff's form: redeem (spend) points, or adjust (+/−) the balance, always with a reason. */
export const StaffLoyaltyForm = z
  .object({
    action: z.enum(["redeem", "adjust"]),
    points: z.coerce.number().int().min(-1_000_000_000).max(1_000_000_000),
    // without U+0000 and lone surrogates, which PostgreSQL cannot store
    note: z.string().overwrite(cleanText).trim().min(3).max(500),
  })
  .refine((form) => (form.action === "redeem" ? form.points > 0 : form.points !== 0));

/** What a staff change did. */
export type StaffLoyaltyResult =
  | { kind: "done"; balance: number }
  | { kind: "insufficient"; balance: number }
  | { kind: "not_found" };

/**
 * A staff member redeems points for a customer (a gift at the till) or corrects the balance, with a reason:
 * expired points are written off first, the balance may not go below zero, and the change is audited as
 * `customer.loyalty` in the same transaction. Adjustments change the balance, not the tier.
 */
export async function staffLoyaltyChange(
  db: Db,
  customerId: string,
  form: z.infer<typeof StaffLoyaltyForm>,
  actor: { staffUserId: string; at: Date },
): Promise<StaffLoyaltyResult> {
  if (!isUuid(customerId)) return { kind: "not_found" };
  const id = customerId.toLowerCase();
  const points = form.action === "redeem" ? -form.points : form.points;
  let refused: StaffLoyaltyResult | undefined;
  const result = await db
    .$transaction(async (tx): Promise<StaffLoyaltyResult> => {
      if (!(await lockLoyaltyCustomer(tx, id))) return { kind: "not_found" };
      await settleExpiry(tx, id, actor.at);
      const balance = await balanceOf(tx, id);
      if (balance + points < 0) {
        // a refused change writes nothing, not even the write-off of expired points
        refused = { kind: "insufficient", balance };
        throw new Error("refused");
      }
      await appendLoyaltyEntry(tx, {
        customerId: id,
        points,
        reason: form.action,
        staffUserId: actor.staffUserId,
        note: form.note,
        at: actor.at,
      });
      await recordAudit(tx, {
        staffUserId: actor.staffUserId,
        action: "customer.loyalty",
        targetType: "Customer",
        targetId: id,
        data: { action: form.action, points, note: form.note, balance: balance + points },
        at: actor.at,
      });
      return { kind: "done", balance: balance + points };
    })
    .catch((error: unknown) => {
      if (refused) return refused;
      throw error;
    });
  return result;
}
