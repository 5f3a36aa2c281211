import type { CompiledCampaign } from "../campaigns/index.ts";
import type { CampaignIssue } from "../lib/errors.ts";
import { yamlPositions } from "./campaigns-positions.ts";

const UNIQUE = /^unique\(([A-Za-z0-9_-]{1,32})\)$/;

/**
 * Warnings about a campaign's `unique(PREFIX)` codes: with no shop connected, the shop will refuse them until
 * they are loaded by hand (`rapport coupons export`); with one, a prefix without a `coupons:` declaration
 * cannot be created there, and its messages would wait.
 */
export function couponWarnings(
  campaign: CompiledCampaign,
  source: string,
  file: string,
  shopConnected: boolean,
): CampaignIssue[] {
  const at = yamlPositions(source);
  const found: Array<{ prefix: string; path: (string | number)[] }> = [];
  const scan = (data: Record<string, unknown> | undefined, path: (string | number)[]) => {
    for (const [key, value] of Object.entries(data ?? {})) {
      const match = typeof value === "string" ? UNIQUE.exec(value.trim()) : null;
      if (match) found.push({ prefix: match[1]!.toUpperCase(), path: [...path, key] });
    }
  };
  scan(campaign.message.data as Record<string, unknown>, ["message", "data"]);
  for (const [i, variant] of (campaign.variants ?? []).entries())
    scan(variant.data as Record<string, unknown> | undefined, ["variants", i, "data"]);
  return found.flatMap(({ prefix, path }) => {
    if (!shopConnected)
      return [
        {
          file,
          ...at(path),
          message:
            `unique(${prefix}) codes exist only in Rapport: no shop is connected (SHOPIFY_SHOP and SHOPIFY_ADMIN_TOKEN, ` +
            `or WOOCOMMERCE_URL, WOOCOMMERCE_KEY and WOOCOMMERCE_SECRET), so load them into the shop by hand: ` +
            `rapport coupons export ${prefix} --out ${prefix.toLowerCase()}.csv`,
        },
      ];
    if (campaign.coupons?.[prefix]) return [];
    return [
      {
        file,
        ...at(path),
        message: `unique(${prefix}) has no coupons.${prefix} declaration: the shop cannot create these codes and their messages wait; add e.g. coupons: { ${prefix}: { percentage: 15 } }`,
      },
    ];
  });
}
