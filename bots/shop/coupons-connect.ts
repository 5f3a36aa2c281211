import type { ShopCouponSettings, ShopCoupons } from "./coupons.ts";
import { shopifyCoupons } from "./coupons-shopify.ts";
import { wooCommerceCoupons } from "./coupons-woocommerce.ts";

/**
 * The shop whose coupon API is configured: Shopify when SHOPIFY_SHOP and SHOPIFY_ADMIN_TOKEN are set, else
 * WooCommerce when WOOCOMMERCE_URL, WOOCOMMERCE_KEY and WOOCOMMERCE_SECRET are; else none (codes are loaded
 * by hand: `rapport coupons export`).
 */
export function connectedShop(settings: ShopCouponSettings): ShopCoupons | undefined {
  if (settings.SHOPIFY_SHOP && settings.SHOPIFY_ADMIN_TOKEN)
    return shopifyCoupons({ shop: settings.SHOPIFY_SHOP, token: settings.SHOPIFY_ADMIN_TOKEN });
  if (settings.WOOCOMMERCE_URL && settings.WOOCOMMERCE_KEY && settings.WOOCOMMERCE_SECRET)
    return wooCommerceCoupons({
      url: settings.WOOCOMMERCE_URL,
      key: settings.WOOCOMMERCE_KEY,
      secret: settings.WOOCOMMERCE_SECRET,
    });
  return undefined;
}
