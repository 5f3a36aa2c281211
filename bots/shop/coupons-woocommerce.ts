import { type CreatedCodes, retryAfterMs, ShopCallError, type ShopCoupons } from "./coupons.ts";

/** Options of {@link wooCommerceCoupons}. */
export interface WooCommerceCouponsOptions {
  /** WOOCOMMERCE_URL: the store's address, e.g. https://shop.example.com. */
  url: string;
  /** WOOCOMMERCE_KEY and WOOCOMMERCE_SECRET: a REST API key with read/write permission. */
  key: string;
  secret: string;
  fetch?: typeof fetch;
}

interface BatchItem {
  id?: number;
  code?: string;
  error?: { code: string; message: string };
}

/**
 * WooCommerce's REST API as a {@link ShopCoupons}: `POST /wp-json/wc/v3/coupons/batch` with up to 100
 * coupons a call, each its own coupon (percent or fixed cart, expiry, one use per user, restricted to the
 * customer's email). A code WooCommerce says exists is ours from an earlier try: confirmed.
 */
export function wooCommerceCoupons(options: WooCommerceCouponsOptions): ShopCoupons {
  const url = `${options.url.replace(/\/+$/, "")}/wp-json/wc/v3/coupons/batch`;
  const auth = `Basic ${Buffer.from(`${options.key}:${options.secret}`).toString("base64")}`;
  const doFetch = options.fetch ?? fetch;
  return {
    shop: "woocommerce",
    maxCodes: 100,
    async createCodes(terms, codes): Promise<CreatedCodes> {
      const create = codes.map((c) => ({
        code: c.code,
        discount_type: terms.percentage !== undefined ? "percent" : "fixed_cart",
        amount: terms.percentage !== undefined ? String(terms.percentage) : terms.amount,
        description: terms.title,
        ...(terms.endsAt && { date_expires_gmt: terms.endsAt.replace(/\.\d+Z$|Z$/, "") }),
        ...(terms.oncePerCustomer && { usage_limit_per_user: 1 }),
        ...(c.email && { email_restrictions: [c.email] }),
      }));
      let response: Response;
      try {
        response = await doFetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: auth },
          body: JSON.stringify({ create }),
        });
      } catch (error) {
        throw new ShopCallError(
          `WooCommerce could not be reached at ${url}: ${(error as Error).message}`,
          undefined,
          { cause: error },
        );
      }
      if (response.status === 401 || response.status === 403)
        throw new ShopCallError(
          `WOOCOMMERCE_KEY / WOOCOMMERCE_SECRET were refused by WooCommerce (${response.status}): create a REST API key with Read/Write permission (WooCommerce → Settings → Advanced → REST API)`,
        );
      if (response.status === 429)
        throw new ShopCallError(
          "WooCommerce throttled the call (429)",
          retryAfterMs(response.headers.get("retry-after")) ?? 2_000,
        );
      if (!response.ok)
        throw new ShopCallError(`WooCommerce answered ${response.status} ${response.statusText}`);
      const body = (await response.json()) as { create?: BatchItem[] };
      const items = body.create ?? [];
      const out: CreatedCodes = { confirmed: [], refused: [] };
      codes.forEach((c, i) => {
        const item = items[i];
        if (item && !item.error && item.id) out.confirmed.push({ code: c.code, shopCodeId: String(item.id) });
        else if (item?.error?.code === "woocommerce_rest_coupon_code_already_exists")
          out.confirmed.push({ code: c.code });
        else out.refused.push({ code: c.code, error: item?.error?.message ?? "no answer for this code" });
      });
      return out;
    },
  };
}
