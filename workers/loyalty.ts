import { appendLoyaltyEntry, lockLoyaltyCustomer, settleExpiry } from "../bots/loyalty-ledger.ts";
import { type LoyaltyRules, pointsFor, tierFor } from "../campaigns/loyalty.ts";
import type { MoneyContext } from "../campaigns/segment/index.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

type Tx = Prisma.TransactionClient;

/** The loyalty programme as the events worker applies it: the rules and the base-currency rates of spend tiers. */
export interface LoyaltyProgramme {
  rules: LoyaltyRules;
  money: MoneyContext;
}

/** What a stored event did to the customer's points: the entry written (if any) and the tier_changed event. */
export interface LoyaltyOutcome {
  points: number;
  /** The `tier_changed` Event recorded because of this event (again on a retry), to be matched against campaigns. */
  tierChangedEventId?: string;
}

interface StoredEvent {
  id: string;
  type: string;
  customerId: string;
  value: Prisma.Decimal | null;
  currency: string | null;
  properties: unknown;
}

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Applies the loyalty rules to one stored event, once however often it is processed (the ledger's unique
 * (reason, event)): a purchase earns by its currency's rate, a refund takes back the share of its order's points
 * that the refunds of that order make of its total, a bonus event earns its points. In one transaction with the
 * customer locked: expired points are written off, the entry appended, and the tier recomputed; a new tier
 * records a `tier_changed` Event `{ from, to }`.
 */
export async function applyLoyalty(
  db: Db,
  programme: LoyaltyProgramme,
  event: StoredEvent,
  now: Date,
): Promise<LoyaltyOutcome> {
  const { rules } = programme;
  const reason = event.type === "purchase" ? "earn" : event.type === "refund" ? "refund" : "bonus";
  if (reason === "bonus" && rules.bonus[event.type] === undefined) return { points: 0 };
  return db.$transaction(async (tx) => {
    if (!(await lockLoyaltyCustomer(tx, event.customerId))) return { points: 0 };
    const done = await tx.loyaltyEntry.findUnique({
      where: { reason_eventId: { reason, eventId: event.id } },
      select: { points: true },
    });
    if (done) return { points: done.points, ...(await tierEventOf(tx, event.id)) };
    const points =
      reason === "earn"
        ? pointsFor(rules, event.value?.toString() ?? "0", event.currency)
        : reason === "bonus"
          ? rules.bonus[event.type]!
          : -(await clawback(tx, event));
    if (points === 0) return { points: 0 };
    await settleExpiry(tx, event.customerId, now);
    const expiresAt = points > 0 && rules.expiryMonths > 0 ? addMonths(now, rules.expiryMonths) : null;
    await appendLoyaltyEntry(tx, {
      customerId: event.customerId,
      points,
      reason,
      eventId: event.id,
      expiresAt,
      at: now,
    });
    const tierChangedEventId = await refreshTier(tx, programme, event.customerId, event.id, now);
    return { points, ...(tierChangedEventId && { tierChangedEventId }) };
  });
}

/**
 * The points a refund takes back: its order's earned points × (all refunds of the order so far ÷ the order's
 * total, at most 1), less what earlier refunds of the order took. A full refund takes back exactly what the
 * order earned; a refund without its order (properties.orderId) or in another currency takes nothing.
 */
async function clawback(tx: Tx, refund: StoredEvent): Promise<number> {
  const orderId = (refund.properties as { orderId?: unknown } | null)?.orderId;
  if (typeof orderId !== "string") return 0;
  const order = await tx.event.findUnique({
    where: { type_externalId: { type: "purchase", externalId: orderId } },
    select: { id: true, customerId: true, value: true, currency: true },
  });
  if (!order || order.customerId !== refund.customerId || !order.value || order.value.isZero()) return 0;
  const earned = await tx.loyaltyEntry.findUnique({
    where: { reason_eventId: { reason: "earn", eventId: order.id } },
    select: { points: true },
  });
  if (!earned) return 0;
  const refunds = await tx.event.findMany({
    where: {
      customerId: refund.customerId,
      type: "refund",
      properties: { path: ["orderId"], equals: orderId },
    },
    select: { id: true, value: true, currency: true },
  });
  const refunded = refunds
    .filter((r) => r.currency === order.currency && r.value)
    .reduce((sum, r) => sum.add(r.value!), new Prisma.Decimal(0));
  const share = Prisma.Decimal.min(1, refunded.div(order.value));
  const target = share.mul(earned.points).toDecimalPlaces(0, Prisma.Decimal.ROUND_HALF_UP).toNumber();
  const taken = await tx.loyaltyEntry.aggregate({
    where: { reason: "refund", eventId: { in: refunds.map((r) => r.id) } },
    _sum: { points: true },
  });
  return Math.max(0, target + (taken._sum.points ?? 0));
}

/** What tiers are measured by over the 12 months before `now`: points earned, or spend in the base currency. */
async function tierMeasure(
  tx: Tx,
  programme: LoyaltyProgramme,
  customerId: string,
  now: Date,
): Promise<number> {
  const since = new Date(now.getTime() - YEAR_MS);
  if (programme.rules.tiers.by === "points") {
    const sum = await tx.loyaltyEntry.aggregate({
      where: { customerId, reason: { in: ["earn", "bonus", "refund"] }, createdAt: { gt: since } },
      _sum: { points: true },
    });
    return sum._sum.points ?? 0;
  }
  const rates = Prisma.join(
    Object.entries(programme.money.rates).map(
      ([code, rate]) => Prisma.sql`(${code}::text, ${rate}::numeric)`,
    ),
  );
  const rows = await tx.$queryRaw<{ spend: string }[]>`
    SELECT COALESCE(sum(CASE WHEN e.type = 'purchase' THEN e.value ELSE -e.value END * r.rate), 0)::text AS spend
    FROM "Event" e JOIN (VALUES ${rates}) AS r(currency, rate) ON r.currency = e.currency
    WHERE e."customerId" = ${customerId}::uuid AND e.type IN ('purchase', 'refund') AND e."occurredAt" > ${since}`;
  return Number(rows[0]?.spend ?? 0);
}

/** Recomputes the customer's tier; when it changed, stores it and records a `tier_changed` Event (its id). */
async function refreshTier(
  tx: Tx,
  programme: LoyaltyProgramme,
  customerId: string,
  causeId: string,
  now: Date,
): Promise<string | undefined> {
  if (programme.rules.tiers.levels.length === 0) return undefined;
  const tier = tierFor(programme.rules, await tierMeasure(tx, programme, customerId, now));
  const customer = await tx.customer.findUniqueOrThrow({
    where: { id: customerId },
    select: { loyaltyTier: true },
  });
  if (customer.loyaltyTier === tier) return undefined;
  await tx.customer.update({ where: { id: customerId }, data: { loyaltyTier: tier } });
  const created = await tx.event.create({
    data: {
      customerId,
      type: "tier_changed",
      // one tier change per causing event: a retried job finds it instead of recording another
      externalId: causeId,
      source: "loyalty",
      occurredAt: now,
      properties: { from: customer.loyaltyTier, to: tier },
    },
    select: { id: true },
  });
  return created.id;
}

async function tierEventOf(tx: Tx, causeId: string): Promise<{ tierChangedEventId?: string }> {
  const found = await tx.event.findUnique({
    where: { type_externalId: { type: "tier_changed", externalId: causeId } },
    select: { id: true },
  });
  return found ? { tierChangedEventId: found.id } : {};
}

/** `at` plus whole calendar months (UTC); the 31st of a shorter month lands on its last day. */
export function addMonths(at: Date, months: number): Date {
  const target = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(at.getUTCDate(), lastDay));
  target.setUTCHours(at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds());
  return target;
}

/** The ChannelCursor key of the expiry sweep: up to when expiries have been written off. */
const EXPIRY_CURSOR = "loyalty:expiry";

/**
 * Writes off the points that expired since the last sweep (each customer in their own transaction, oldest
 * points spent first), so `loyalty.points` in segments is true for customers who buy nothing more. Run by every
 * campaign clock tick; idempotent, and two sweeps at once write each expiry once (the customer lock).
 * @returns the points written off.
 */
export async function expireLoyaltyPoints(db: Db, now: Date): Promise<number> {
  const cursor = await db.channelCursor.findUnique({ where: { key: EXPIRY_CURSOR } });
  const since = cursor ? new Date(cursor.value) : new Date(0);
  const due = await db.loyaltyEntry.findMany({
    where: { expiresAt: { gt: since, lte: now } },
    distinct: ["customerId"],
    select: { customerId: true },
  });
  let written = 0;
  for (const { customerId } of due) {
    written += await db.$transaction(async (tx) =>
      (await lockLoyaltyCustomer(tx, customerId)) ? settleExpiry(tx, customerId, now) : 0,
    );
  }
  const value = now.toISOString();
  await db.channelCursor.upsert({
    where: { key: EXPIRY_CURSOR },
    create: { key: EXPIRY_CURSOR, value },
    update: { value },
  });
  return written;
}
