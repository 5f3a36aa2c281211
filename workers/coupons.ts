import { randomBytes } from "node:crypto";
import { type Db, isUniqueViolation, Prisma } from "../lib/db/index.ts";

/** A fresh code: the prefix, a dash and 10 hex digits (40 random bits), e.g. WINBACK15-7F3A9C21B0. */
export function couponCode(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex").toUpperCase()}`;
}

/**
 * The customer's code under `prefix`, created on first use: one per customer and prefix, ever (a second
 * win-back months later shows the same code). Safe under concurrency: the unique keys decide.
 */
export async function couponFor(
  db: Db,
  input: { prefix: string; customerId: string; campaignId: string },
): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await db.coupon.findUnique({
      where: { prefix_customerId: { prefix: input.prefix, customerId: input.customerId } },
      select: { code: true },
    });
    if (existing) return existing.code;
    try {
      const created = await db.coupon.create({
        data: { code: couponCode(input.prefix), ...input },
        select: { code: true },
      });
      return created.code;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error; // a code collision or a concurrent create: look again
    }
  }
  throw new Error(`could not create a unique ${input.prefix} coupon for customer ${input.customerId}`);
}

/**
 * Gives every customer of `customerIds` a code under `prefix`, in a few set-based statements: codes that
 * collide with existing ones are simply drawn again for those customers.
 */
export async function ensureCoupons(
  db: Db,
  input: { prefix: string; customerIds: readonly string[]; campaignId: string },
): Promise<void> {
  if (input.customerIds.length === 0) return;
  for (let attempt = 0; attempt < 5; attempt++) {
    await db.$executeRaw(Prisma.sql`
      INSERT INTO "Coupon" (code, prefix, "customerId", "campaignId")
      SELECT ${`${input.prefix}-`} || upper(substr(md5(gen_random_uuid()::text), 1, 10)), ${input.prefix}, u.id, ${input.campaignId}
      FROM unnest(${input.customerIds as string[]}::uuid[]) AS u(id)
      WHERE NOT EXISTS (SELECT 1 FROM "Coupon" k WHERE k.prefix = ${input.prefix} AND k."customerId" = u.id)
      ON CONFLICT DO NOTHING`);
    const [{ missing }] = (await db.$queryRaw<Array<{ missing: number }>>(Prisma.sql`
      SELECT count(*)::int AS missing FROM unnest(${input.customerIds as string[]}::uuid[]) AS u(id)
      WHERE NOT EXISTS (SELECT 1 FROM "Coupon" k WHERE k.prefix = ${input.prefix} AND k."customerId" = u.id)`)) as [
      { missing: number },
    ];
    if (missing === 0) return;
  }
  throw new Error(`could not create unique ${input.prefix} coupons: codes kept colliding`);
}

/** One code as `rapport coupons export` lists it. */
export interface CouponRow {
  code: string;
  prefix: string;
  campaignId: string | null;
  email: string | null;
  createdAt: Date;
  shop: string | null;
  shopConfirmedAt: Date | null;
  redeemedAt: Date | null;
  redeemedOrderId: string | null;
}

/** Every code under `prefix` (upper-cased, as codes are), oldest first, with its customer's email. */
export async function couponsOf(db: Db, prefix: string): Promise<CouponRow[]> {
  const rows = await db.coupon.findMany({
    where: { prefix: prefix.toUpperCase() },
    orderBy: [{ createdAt: "asc" }, { code: "asc" }],
    select: {
      code: true,
      prefix: true,
      campaignId: true,
      createdAt: true,
      shop: true,
      shopConfirmedAt: true,
      redeemedAt: true,
      redeemedOrderId: true,
      customer: { select: { email: true } },
    },
  });
  return rows.map(({ customer, ...row }) => ({ ...row, email: customer.email }));
}

/** What a campaign's codes came to, for `campaigns status` and the console. */
export interface CouponResults {
  /** Codes the campaign drew. */
  codes: number;
  /** Of these, confirmed by the shop. */
  confirmed: number;
  /** Codes whose customer was sent a message of the campaign. */
  sent: number;
  /** Codes used in an order. */
  redeemed: number;
  /** The orders' totals, per currency (decimal strings). */
  revenue: Array<{ currency: string | null; amount: string }>;
  /** Messages waiting for the shop to confirm their codes, and the shop's last error. */
  waiting: number;
  waitingError: string | null;
}

/** The codes of a campaign: drawn, confirmed by the shop, sent, redeemed, and the redeeming orders' revenue. */
export async function couponResults(db: Db, campaignId: string): Promise<CouponResults> {
  const [counts] = await db.$queryRaw<
    Array<Omit<CouponResults, "revenue" | "waiting" | "waitingError">>
  >(Prisma.sql`
    SELECT count(*)::int AS codes,
      (count(*) FILTER (WHERE k."shopConfirmedAt" IS NOT NULL))::int AS confirmed,
      (count(*) FILTER (WHERE EXISTS (SELECT 1 FROM "Delivery" d WHERE d."campaignId" = k."campaignId"
        AND d."customerId" = k."customerId" AND d.status = 'sent')))::int AS sent,
      (count(*) FILTER (WHERE k."redeemedAt" IS NOT NULL))::int AS redeemed
    FROM "Coupon" k WHERE k."campaignId" = ${campaignId}`);
  const revenue = await db.$queryRaw<Array<{ currency: string | null; amount: string }>>(Prisma.sql`
    SELECT e.currency, sum(e.value)::text AS amount
    FROM "Coupon" k JOIN "Event" e ON e.id = k."redeemedEventId"
    WHERE k."campaignId" = ${campaignId} AND e.value IS NOT NULL
    GROUP BY e.currency ORDER BY e.currency`);
  const waiting = await db.delivery.findMany({
    where: { campaignId, reason: "waiting_for_shop", status: { in: ["planned", "queued"] } },
    select: { error: true },
    orderBy: { updatedAt: "desc" },
  });
  return {
    ...(counts ?? { codes: 0, confirmed: 0, sent: 0, redeemed: 0 }),
    revenue,
    waiting: waiting.length,
    waitingError: waiting[0]?.error ?? null,
  };
}
