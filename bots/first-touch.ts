import { z } from "zod";
import { cleanText } from "../lib/clean-text.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/**
 * Where a customer first came from, as one visit tells it: the campaign tags (`utm_*`), the page before
 * (referrer) and the page they landed on. `via` is what saw it: webchat, shopify, woocommerce, events_api,
 * telegram.
 */
export interface FirstTouch {
  source: string;
  medium?: string;
  campaign?: string;
  referrer?: string;
  landingPage?: string;
  via: string;
  at: Date;
}

const Text = (max: number) => z.string().overwrite(cleanText).trim().min(1).max(max);

/**
 * `customer.firstTouch` of the events API (and what the web chat widget sends): every field optional; a
 * missing `source` is read from the landing page's `utm_source`, else the referrer's host.
 */
export const FirstTouchInput = z.strictObject({
  source: Text(200).optional(),
  medium: Text(200).optional(),
  campaign: Text(200).optional(),
  referrer: Text(2_000).optional(),
  landingPage: Text(2_000).optional(),
  at: z.iso
    .datetime({ offset: true, error: "expected an ISO 8601 time with offset such as 2026-11-23T10:00:00Z" })
    .optional(),
});
export type FirstTouchInput = z.infer<typeof FirstTouchInput>;

/** The `utm_*` tags of a URL or path ("/?utm_source=ig" reads too); nothing for text that is not a URL. */
export function utmOf(url: string | undefined): { source?: string; medium?: string; campaign?: string } {
  if (!url) return {};
  let params: URLSearchParams;
  try {
    params = new URL(url, "http://landing.invalid").searchParams;
  } catch {
    return {};
  }
  const get = (key: string) => params.get(key)?.trim().slice(0, 200) || undefined;
  return {
    ...(get("utm_source") && { source: get("utm_source") }),
    ...(get("utm_medium") && { medium: get("utm_medium") }),
    ...(get("utm_campaign") && { campaign: get("utm_campaign") }),
  };
}

/** The host of a referrer URL without `www.`, or undefined when it is not an absolute http(s) URL. */
export function referrerHost(referrer: string | undefined): string | undefined {
  if (!referrer) return undefined;
  try {
    const url = new URL(referrer);
    return /^https?:$/.test(url.protocol) ? url.hostname.replace(/^www\./, "") || undefined : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A first touch from what a visit carried: explicit fields first, then the landing page's `utm_*`, then the
 * referrer's host (medium `referral`), else `fallback` (the system that saw it: "shopify", "webchat").
 */
export function touchOf(
  input: FirstTouchInput & { sourceName?: string },
  via: string,
  fallback: string,
  now: Date,
): FirstTouch {
  const utm = utmOf(input.landingPage);
  const host = referrerHost(input.referrer);
  const source = input.source ?? utm.source ?? host ?? input.sourceName ?? fallback;
  const medium = input.medium ?? utm.medium ?? (!utm.source && host ? "referral" : undefined);
  const campaign = input.campaign ?? utm.campaign;
  const at = input.at ? new Date(Math.min(Date.parse(input.at), now.getTime())) : now;
  return {
    source: source.slice(0, 200),
    ...(medium && { medium }),
    ...(campaign && { campaign }),
    ...(input.referrer && { referrer: input.referrer.slice(0, 2_000) }),
    ...(input.landingPage && { landingPage: input.landingPage.slice(0, 2_000) }),
    via,
    at,
  };
}

/**
 * Records where the customer first came from: written once, never overwritten (a second call, from
 * anywhere, changes nothing). Also fills `Customer.source` when it is empty, which older views read. Returns
 * true when this call wrote it.
 */
export async function recordFirstTouch(
  db: Db | Prisma.TransactionClient,
  customerId: string,
  touch: FirstTouch,
): Promise<boolean> {
  const written = await db.$executeRaw(Prisma.sql`
    INSERT INTO "FirstTouch" ("customerId", source, medium, campaign, referrer, "landingPage", via, at)
    VALUES (${customerId}::uuid, ${touch.source}, ${touch.medium ?? null}, ${touch.campaign ?? null},
            ${touch.referrer ?? null}, ${touch.landingPage ?? null}, ${touch.via}, ${touch.at})
    ON CONFLICT ("customerId") DO NOTHING`);
  if (written === 0) return false;
  await db.customer.updateMany({ where: { id: customerId, source: null }, data: { source: touch.source } });
  return true;
}

/**
 * On a merge: the survivor keeps the earlier of the two first touches (the merged customer's moves over
 * when it is earlier, or when the survivor has none), and `Customer.source` follows it.
 */
export async function mergeFirstTouch(
  tx: Db | Prisma.TransactionClient,
  mergedId: string,
  survivorId: string,
): Promise<void> {
  const moved = await tx.$executeRaw(Prisma.sql`
    INSERT INTO "FirstTouch" ("customerId", source, medium, campaign, referrer, "landingPage", via, at)
    SELECT ${survivorId}::uuid, source, medium, campaign, referrer, "landingPage", via, at
    FROM "FirstTouch" WHERE "customerId" = ${mergedId}::uuid
    ON CONFLICT ("customerId") DO UPDATE SET source = excluded.source, medium = excluded.medium,
      campaign = excluded.campaign, referrer = excluded.referrer, "landingPage" = excluded."landingPage",
      via = excluded.via, at = excluded.at
    WHERE excluded.at < "FirstTouch".at`);
  if (moved > 0)
    await tx.$executeRaw(Prisma.sql`
      UPDATE "Customer" SET source = f.source FROM "FirstTouch" f
      WHERE f."customerId" = ${survivorId}::uuid AND "Customer".id = f."customerId"`);
}
