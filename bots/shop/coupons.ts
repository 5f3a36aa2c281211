/**
 * What Rapport needs from a shop to hand out codes it accepts: create them, with the campaign's terms, and
 * say which ones it confirmed. Two implementations: Shopify (coupons-shopify.ts) and WooCommerce
 * (coupons-woocommerce.ts).
 */

/** The discount a campaign declares for one `unique(PREFIX)` (campaign YAML `coupons:`). */
export interface CouponTerms {
  prefix: string;
  /** Shown in the shop's admin: the campaign and prefix. */
  title: string;
  /** Percent off (1–100); either this or `amount`. */
  percentage?: number;
  /** Fixed amount off the order, a decimal string in the shop's currency. */
  amount?: string;
  /** When the codes stop working (ISO 8601); none: they never expire. */
  endsAt?: string;
  /** One use per customer (Shopify `appliesOncePerCustomer`; WooCommerce `usage_limit_per_user: 1`). */
  oncePerCustomer: boolean;
}

/** One code to create, with the customer's email where the shop can restrict the code to it. */
export interface CodeToCreate {
  code: string;
  email?: string | null;
}

/** What the shop answered for a set of codes. */
export interface CreatedCodes {
  /** The shop's discount that holds them (Shopify), to add the next codes to. */
  discountId?: string;
  confirmed: Array<{ code: string; shopCodeId?: string }>;
  /** Codes the shop refused, with its message: they are never sent. */
  refused: Array<{ code: string; error: string }>;
}

/** A shop's coupon API. */
export interface ShopCoupons {
  readonly shop: "shopify" | "woocommerce";
  /** Most codes one call creates: Shopify 250 per bulk add, WooCommerce 100 per batch. */
  readonly maxCodes: number;
  /**
   * Creates `codes` under `terms`, in the discount `discountId` when one exists (Shopify), else a new one.
   * Throws {@link ShopCallError} when the shop could not be asked or did not answer.
   */
  createCodes(terms: CouponTerms, codes: readonly CodeToCreate[], discountId?: string): Promise<CreatedCodes>;
}

/**
 * A shop call that failed as a whole (network, 5xx, 401, throttled, refused input): nothing was confirmed.
 * `retryAfterMs` is the shop's own wait when it gave one (Retry-After, Shopify's throttle status).
 */
export class ShopCallError extends Error {
  override name = "ShopCallError";
  readonly code = "RAPPORT_SHOP_CALL_FAILED";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The shop settings of lib/config.ts that connect a shop's coupon API. */
export interface ShopCouponSettings {
  SHOPIFY_SHOP?: string;
  SHOPIFY_ADMIN_TOKEN?: string;
  WOOCOMMERCE_URL?: string;
  WOOCOMMERCE_KEY?: string;
  WOOCOMMERCE_SECRET?: string;
}
