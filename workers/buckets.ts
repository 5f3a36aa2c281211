import { createHash } from "node:crypto";
import type { CompiledCampaign } from "../campaigns/index.ts";
import { Prisma } from "../lib/db/index.ts";

/**
 * A customer's stable bucket 0–99 for one purpose of one campaign: md5 of "<campaign>/<purpose>/<customer>",
 * its first 7 hex digits mod 100. The same customer lands in the same bucket in TypeScript and in SQL, on
 * every run, so a retried fan-out or a single event plan picks the same variant.
 */
export function bucketOf(campaignId: string, purpose: "holdout" | "variant", customerId: string): number {
  const hex = createHash("md5").update(`${campaignId}/${purpose}/${customerId}`).digest("hex");
  return Number.parseInt(hex.slice(0, 7), 16) % 100;
}

/** {@link bucketOf} in SQL; `customerId` is a uuid expression. */
export function bucketSql(
  campaignId: string,
  purpose: "holdout" | "variant",
  customerId: Prisma.Sql,
): Prisma.Sql {
  return Prisma.sql`(('x' || substr(md5(${`${campaignId}/${purpose}/`} || ${customerId}::text), 1, 7))::bit(28)::int % 100)`;
}

/** What the A/B split makes of one customer: a variant's name, "holdout", or none (no test). */
export function variantOf(campaign: CompiledCampaign, customerId: string): string | null {
  if (campaign.holdoutPercent && bucketOf(campaign.id, "holdout", customerId) < campaign.holdoutPercent)
    return "holdout";
  if (!campaign.variants) return null;
  const bucket = bucketOf(campaign.id, "variant", customerId);
  let upTo = 0;
  for (const variant of campaign.variants) {
    upTo += variant.weight;
    if (bucket < upTo) return variant.name;
  }
  return campaign.variants.at(-1)?.name ?? null;
}

/** {@link variantOf} in SQL: text, or NULL with no test. */
export function variantSql(campaign: CompiledCampaign, customerId: Prisma.Sql): Prisma.Sql {
  const whens: Prisma.Sql[] = [];
  if (campaign.holdoutPercent)
    whens.push(
      Prisma.sql`WHEN ${bucketSql(campaign.id, "holdout", customerId)} < ${campaign.holdoutPercent} THEN 'holdout'`,
    );
  let upTo = 0;
  for (const variant of campaign.variants ?? []) {
    upTo += variant.weight;
    whens.push(
      Prisma.sql`WHEN ${bucketSql(campaign.id, "variant", customerId)} < ${upTo} THEN ${variant.name}::text`,
    );
  }
  if (whens.length === 0) return Prisma.sql`NULL::text`;
  return Prisma.sql`(CASE ${Prisma.join(whens, " ")} ELSE ${campaign.variants?.at(-1)?.name ?? null}::text END)`;
}
