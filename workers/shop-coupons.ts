import type { CouponTerms, ShopCoupons } from "../bots/index.ts";
import { ShopCallError } from "../bots/index.ts";
import type { CouponDeclaration } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/** The Delivery reason while its codes wait for the shop: visible in `campaigns status` and the console. */
export const WAITING_FOR_SHOP = "waiting_for_shop";
/** The Delivery reason when the shop refused one of its codes: never sent with it. */
export const COUPON_REFUSED = "coupon_refused";

/** Dependencies of the shop check. */
export interface ShopCouponDeps {
  db: Db;
  clock: Clock;
  /** The connected shop; without one, codes are loaded by hand (`rapport coupons export`). */
  shopCoupons?: ShopCoupons;
}

/** A Delivery as the shop check needs it. */
export interface CouponDelivery {
  id: string;
  customerId: string;
  campaignId: string | null;
  data: unknown;
}

/** Why a Delivery cannot go out yet (`waiting`, try again later) or ever with its code (`refused`). */
export type ShopHold =
  | { kind: "waiting"; error: string; retryAfterMs?: number }
  | { kind: "refused"; error: string };

/** How long a transaction holding a prefix's shop lock may last: the shop's answer included, in ms. */
const LOCK_TIMEOUT_MS = 120_000;
const PREFIX_LOCK = 7_201_013;

function stringsOf(data: unknown): string[] {
  if (typeof data !== "object" || data === null) return [];
  return Object.values(data).filter((v): v is string => typeof v === "string" && v.length <= 64);
}

/**
 * Makes sure the shop has confirmed every code these Deliveries carry, before any of them is sent: codes not
 * yet confirmed are created at the shop under their campaign's `coupons:` terms, in bulk with the other
 * codes of the same prefix still waiting (one shop call serves many messages), one prefix at a time across
 * workers (an advisory lock), so the shop gets one discount per prefix. Returns the Deliveries that must
 * wait or must not go out; without a connected shop, none.
 */
export async function shopHolds(
  deps: ShopCouponDeps,
  coupons: Record<string, CouponDeclaration> | undefined,
  deliveries: readonly CouponDelivery[],
): Promise<Map<string, ShopHold>> {
  const holds = new Map<string, ShopHold>();
  const shop = deps.shopCoupons;
  if (!shop || deliveries.length === 0) return holds;
  const values = [...new Set(deliveries.flatMap((d) => stringsOf(d.data)))];
  if (values.length === 0) return holds;
  const carried = await deps.db.coupon.findMany({
    where: { code: { in: values }, customerId: { in: [...new Set(deliveries.map((d) => d.customerId))] } },
    select: { code: true, prefix: true, customerId: true, shopConfirmedAt: true },
  });
  const pending = carried.filter((c) => !c.shopConfirmedAt);
  if (pending.length === 0) return holds;
  const problems = new Map<string, ShopHold>();
  for (const prefix of new Set(pending.map((c) => c.prefix))) {
    const codes = pending.filter((c) => c.prefix === prefix).map((c) => c.code);
    const terms = coupons?.[prefix];
    if (!terms) {
      const error = `the campaign declares no coupons.${prefix}: add its discount (percentage or amount) so ${shop.shop} can create the codes`;
      for (const code of codes) problems.set(code, { kind: "waiting", error });
      continue;
    }
    const campaignId = deliveries.find((d) => d.campaignId)?.campaignId ?? null;
    try {
      const refused = await createAtShop(
        deps,
        shop,
        { prefix, title: `${campaignId ?? "rapport"} ${prefix}`, ...terms },
        codes,
        campaignId,
      );
      for (const [code, error] of refused)
        problems.set(code, { kind: "refused", error: `${shop.shop} refused ${code}: ${error}` });
    } catch (error) {
      if (!(error instanceof ShopCallError)) throw error;
      await deps.db.coupon.updateMany({ where: { code: { in: codes } }, data: { shopError: error.message } });
      for (const code of codes)
        problems.set(code, {
          kind: "waiting",
          error: error.message,
          ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
        });
    }
  }
  for (const delivery of deliveries) {
    const mine = stringsOf(delivery.data)
      .map((v) => problems.get(v))
      .filter((h): h is ShopHold => h !== undefined);
    const hold = mine.find((h) => h.kind === "refused") ?? mine[0];
    if (hold) holds.set(delivery.id, hold);
  }
  return holds;
}

/**
 * Creates `codes` of one prefix at the shop, with up to `maxCodes` other waiting codes of that prefix, under
 * the prefix's lock, and records what the shop confirmed. Returns the codes the shop refused.
 */
async function createAtShop(
  deps: ShopCouponDeps,
  shop: ShopCoupons,
  terms: CouponTerms,
  codes: readonly string[],
  campaignId: string | null,
): Promise<Map<string, string>> {
  return deps.db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${PREFIX_LOCK}::int4, hashtext(${`${shop.shop}:${terms.prefix}`}))`;
      // another worker may have created them while this one waited for the lock
      const mine = await tx.coupon.findMany({
        where: { code: { in: [...codes] }, shopConfirmedAt: null },
        select: { code: true, customer: { select: { email: true } } },
      });
      if (mine.length === 0) return new Map<string, string>();
      const others = await tx.coupon.findMany({
        where: {
          prefix: terms.prefix,
          shopConfirmedAt: null,
          shopError: null,
          code: { notIn: mine.map((c) => c.code) },
        },
        select: { code: true, customer: { select: { email: true } } },
        orderBy: { createdAt: "asc" },
        take: Math.max(0, shop.maxCodes - mine.length),
      });
      const batch = [...mine, ...others]
        .slice(0, shop.maxCodes)
        .map((c) => ({ code: c.code, email: c.customer.email }));
      const discount = await tx.shopDiscount.findUnique({
        where: { shop_prefix: { shop: shop.shop, prefix: terms.prefix } },
        select: { discountId: true },
      });
      const answer = await shop.createCodes(terms, batch, discount?.discountId);
      const now = new Date(deps.clock.now());
      if (answer.discountId && !discount)
        await tx.shopDiscount.create({
          data: { shop: shop.shop, prefix: terms.prefix, campaignId, discountId: answer.discountId },
        });
      const withIds = answer.confirmed.filter((c) => c.shopCodeId);
      const plain = answer.confirmed.filter((c) => !c.shopCodeId).map((c) => c.code);
      if (plain.length > 0)
        await tx.coupon.updateMany({
          where: { code: { in: plain } },
          data: { shop: shop.shop, shopConfirmedAt: now, shopError: null },
        });
      if (withIds.length > 0)
        await tx.$executeRaw(Prisma.sql`
          UPDATE "Coupon" k SET shop = ${shop.shop}, "shopCodeId" = v.id, "shopConfirmedAt" = ${now}, "shopError" = NULL
          FROM unnest(${withIds.map((c) => c.code)}::text[], ${withIds.map((c) => c.shopCodeId!)}::text[]) AS v(code, id)
          WHERE k.code = v.code`);
      for (const r of answer.refused)
        await tx.coupon.updateMany({
          where: { code: r.code },
          data: { shop: shop.shop, shopError: r.error },
        });
      return new Map(answer.refused.map((r) => [r.code, r.error]));
    },
    { timeout: LOCK_TIMEOUT_MS, maxWait: LOCK_TIMEOUT_MS },
  );
}

/** The pause before a waiting Delivery looks at the shop again: the shop's own wait, else 5 s doubling to 5 min. */
export function shopRetryMs(tries: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.max(retryAfterMs, 250);
  return Math.min(300_000, 5_000 * 2 ** Math.max(0, tries - 1));
}
