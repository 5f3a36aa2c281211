import { type Db, isUniqueViolation, type Prisma } from "../lib/db/index.ts";
import { expiredPoints } from "./loyalty-expiry.ts";

type Tx = Prisma.TransactionClient;

/** Why points moved. Earn and bonus entries carry an expiry; the others never expire. */
export const LOYALTY_REASONS = ["earn", "refund", "redeem", "adjust", "expire", "bonus"] as const;
export type LoyaltyReason = (typeof LOYALTY_REASONS)[number];

/** A new ledger entry. */
export interface NewLoyaltyEntry {
  customerId: string;
  points: number;
  reason: LoyaltyReason;
  eventId?: string | null;
  ref?: string | null;
  expiresAt?: Date | null;
  staffUserId?: string | null;
  note?: string | null;
  at: Date;
}

/** Holds the customer's row until the transaction ends: one ledger change of a customer at a time. */
export async function lockLoyaltyCustomer(tx: Tx, customerId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM "Customer" WHERE id = ${customerId}::uuid AND "mergedIntoId" IS NULL FOR UPDATE`;
  return rows.length === 1;
}

/** Appends an entry and moves the cached balance (Customer.loyaltyPoints) with it. */
export async function appendLoyaltyEntry(tx: Tx, entry: NewLoyaltyEntry): Promise<string> {
  const created = await tx.loyaltyEntry.create({
    data: {
      customerId: entry.customerId,
      points: entry.points,
      reason: entry.reason,
      eventId: entry.eventId ?? null,
      ref: entry.ref ?? null,
      expiresAt: entry.expiresAt ?? null,
      staffUserId: entry.staffUserId ?? null,
      note: entry.note ?? null,
      createdAt: entry.at,
    },
    select: { id: true },
  });
  await tx.customer.update({
    where: { id: entry.customerId },
    data: { loyaltyPoints: { increment: entry.points } },
  });
  return created.id;
}

/**
 * Writes off the points that have expired by `now` (oldest points spent first, see `expiredPoints`) as one
 * `expire` entry, so the balance is the plain sum of the ledger. Call with the customer locked.
 * @returns the points written off (0 when nothing was due).
 */
export async function settleExpiry(tx: Tx, customerId: string, now: Date): Promise<number> {
  const entries = await tx.loyaltyEntry.findMany({
    where: { customerId },
    select: { points: true, reason: true, expiresAt: true, createdAt: true },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const written = -entries.filter((e) => e.reason === "expire").reduce((sum, e) => sum + e.points, 0);
  const due = expiredPoints(entries, now) - written;
  if (due <= 0) return 0;
  await appendLoyaltyEntry(tx, { customerId, points: -due, reason: "expire", at: now });
  return due;
}

/** What a redeem did. Too few points and an unknown customer are expected outcomes, not errors. */
export type RedeemResult =
  | { kind: "redeemed"; entryId: string; balance: number }
  | { kind: "duplicate"; entryId: string; balance: number }
  | { kind: "ref_taken" }
  | { kind: "insufficient"; balance: number }
  | { kind: "not_found" };

/**
 * Spends `points` of a customer's balance, in one transaction: expired points are written off first, then the
 * balance must cover the points. `ref` (the shop's order or idempotency key) makes it idempotent: the same ref
 * again answers `duplicate` with the first entry; a ref another customer used answers `ref_taken`.
 */
export async function redeemPoints(
  db: Db,
  request: {
    customerId: string;
    points: number;
    ref?: string;
    at: Date;
    staffUserId?: string;
    note?: string;
  },
): Promise<RedeemResult> {
  const { customerId, ref } = request;
  try {
    return await db.$transaction(async (tx): Promise<RedeemResult> => {
      if (!(await lockLoyaltyCustomer(tx, customerId))) return { kind: "not_found" };
      if (ref !== undefined) {
        const seen = await tx.loyaltyEntry.findUnique({
          where: { reason_ref: { reason: "redeem", ref } },
          select: { id: true, customerId: true },
        });
        if (seen)
          return seen.customerId === customerId
            ? await duplicate(tx, seen.id, customerId)
            : { kind: "ref_taken" };
      }
      await settleExpiry(tx, customerId, request.at);
      const balance = await balanceOf(tx, customerId);
      // a refused request writes nothing, not even the write-off of expired points
      if (balance < request.points) throw new Refused({ kind: "insufficient", balance });
      const entryId = await appendLoyaltyEntry(tx, {
        customerId,
        points: -request.points,
        reason: "redeem",
        ref: ref ?? null,
        staffUserId: request.staffUserId ?? null,
        note: request.note ?? null,
        at: request.at,
      });
      return { kind: "redeemed", entryId, balance: balance - request.points };
    });
  } catch (error) {
    if (error instanceof Refused) return error.result;
    // the same ref sent twice at once: the second waited on the lock, then hit the unique (reason, ref)
    if (ref !== undefined && isUniqueViolation(error)) {
      const seen = await db.loyaltyEntry.findUnique({ where: { reason_ref: { reason: "redeem", ref } } });
      if (seen?.customerId === customerId) return duplicate(db, seen.id, customerId);
      if (seen) return { kind: "ref_taken" };
    }
    throw error;
  }
}

/** Rolls a transaction back with the outcome to answer. */
class Refused extends Error {
  constructor(readonly result: RedeemResult) {
    super(result.kind);
  }
}

async function duplicate(db: Db | Tx, entryId: string, customerId: string): Promise<RedeemResult> {
  return { kind: "duplicate", entryId, balance: await balanceOf(db, customerId) };
}

/** The customer's balance: the cached sum of the ledger (Customer.loyaltyPoints). */
export async function balanceOf(db: Db | Tx, customerId: string): Promise<number> {
  const customer = await db.customer.findUnique({
    where: { id: customerId },
    select: { loyaltyPoints: true },
  });
  return customer?.loyaltyPoints ?? 0;
}

/** The newest ledger entries of a customer, newest first. */
export function loyaltyHistory(db: Db, customerId: string, limit = 50) {
  return db.loyaltyEntry.findMany({
    where: { customerId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    select: {
      id: true,
      points: true,
      reason: true,
      ref: true,
      note: true,
      expiresAt: true,
      createdAt: true,
      staffUserId: true,
    },
  });
}
