/** One ledger entry as expiry reads it. */
export interface ExpiryEntry {
  points: number;
  reason: string;
  expiresAt: Date | null;
  createdAt: Date;
}

interface Lot {
  remaining: number;
  expiresAt: Date | null;
}

/**
 * How many points of a ledger have expired by `now`, oldest points spent first (FIFO).
 *
 * Walks the entries in time order (`expire` entries left out: this computes what they should add up to).
 * A positive entry is a lot that expires at its `expiresAt` (never when null); a negative one (redeem, refund,
 * a negative adjustment) takes from the lot that expires first, and what no lot covers is a debt the next
 * points pay first. A lot's remainder at its `expiresAt` is expired. Pure: the ledger's `expire` entries
 * should sum to minus this.
 */
export function expiredPoints(entries: readonly ExpiryEntry[], now: Date): number {
  const lots: Lot[] = [];
  let debt = 0;
  let expired = 0;
  const expireUpTo = (at: number) => {
    for (const lot of lots) {
      if (lot.remaining > 0 && lot.expiresAt !== null && lot.expiresAt.getTime() <= at) {
        expired += lot.remaining;
        lot.remaining = 0;
      }
    }
  };
  const ordered = entries
    .filter((e) => e.reason !== "expire")
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  for (const entry of ordered) {
    expireUpTo(entry.createdAt.getTime());
    if (entry.points > 0) {
      const paid = Math.min(debt, entry.points);
      debt -= paid;
      if (entry.points > paid)
        insertLot(lots, { remaining: entry.points - paid, expiresAt: entry.expiresAt });
    } else {
      let need = -entry.points;
      for (const lot of lots) {
        if (need === 0) break;
        const take = Math.min(lot.remaining, need);
        lot.remaining -= take;
        need -= take;
      }
      debt += need;
    }
  }
  expireUpTo(now.getTime());
  return expired;
}

/** Keeps the lots in the order they are spent: soonest expiry first, never-expiring last. */
function insertLot(lots: Lot[], lot: Lot): void {
  const key = (l: Lot) => l.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const at = lots.findIndex((other) => key(other) > key(lot));
  if (at === -1) lots.push(lot);
  else lots.splice(at, 0, lot);
}
