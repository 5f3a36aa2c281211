import { type Db, Prisma } from "../../lib/db/index.ts";
import { engagementByCustomer, engagementFactsSql, RESPONDS_ON_SQL } from "./engagement.ts";
import type { SegmentFacts } from "./facts.ts";
import { FIELDS } from "./fields.ts";
import { NOT_FULLY_REFUNDED, SIGNED_VALUE } from "./money-sql.ts";

/** One customer's row of the facts query: {@link SegmentFacts} as SQL returns it (decimals as text, JSON raw). */
type FactsRow = Omit<
  SegmentFacts,
  "now" | "money" | "avgRating" | "consent" | "attributes" | "engagement"
> & {
  id: string;
  avgRating: string | null;
  consent: unknown;
  attributes: unknown;
};

function aggregate(name: string): Prisma.Sql {
  const field = FIELDS.get(name);
  if (field?.type !== "number") throw new Error(`no numeric field ${name}`);
  return field.sql;
}

function asMap(json: unknown): Record<string, unknown> {
  return typeof json === "object" && json !== null && !Array.isArray(json)
    ? (json as Record<string, unknown>)
    : {};
}

/**
 * Loads the {@link SegmentFacts} of some customers in one query, for testing them against audiences as events
 * arrive. The aggregates are the very SQL the audience conditions use, so both read the same numbers.
 * @param now What `now` means for these facts (the caller's clock, as given to `Audience.sql`).
 * @returns the facts by customer id; ids that match no customer are absent.
 */
export async function loadSegmentFacts(
  db: Db,
  ids: readonly string[],
  now: Date,
): Promise<Map<string, SegmentFacts>> {
  if (ids.length === 0) return new Map();
  const uuids = Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`));
  const rows = await db.$queryRaw<FactsRow[]>`
    SELECT c.id::text AS id,
      ${aggregate("orders")}::int AS orders,
      ${aggregate("avg_rating")}::text AS "avgRating",
      c."lastPurchaseAt" AS "lastPurchase", c."lastInteractionAt" AS "lastInteraction", c."createdAt" AS "firstSeen",
      c.name, c.email, c.phone, c.country, c.locale, c.timezone, c.source,
      c."preferredChannel"::text AS "preferredChannel", c."loyaltyPoints" AS "loyaltyPoints", c."loyaltyTier" AS "loyaltyTier",
      ARRAY(SELECT DISTINCT i.channel::text FROM "Identity" i WHERE i."customerId" = c.id) AS channels,
      ARRAY(SELECT DISTINCT p.sku FROM "Purchase" p WHERE p."customerId" = c.id) AS skus,
      COALESCE(c.tags, ARRAY[]::text[]) AS tags,
      c.consent, c.attributes,
      r.recency AS "rfmRecency", r.frequency AS "rfmFrequency", r.monetary AS "rfmMonetary", r.segment AS "rfmSegment",
      ${RESPONDS_ON_SQL} AS "respondsOn",
      ft.source AS "firstTouchSource", ft.medium AS "firstTouchMedium", ft.campaign AS "firstTouchCampaign"
    FROM "Customer" c LEFT JOIN "CustomerRfm" r ON r."customerId" = c.id
      LEFT JOIN "FirstTouch" ft ON ft."customerId" = c.id
    WHERE c.id IN (${uuids})`;
  // The same rules as the money conditions (money-sql.ts): purchases minus refunds per currency.
  const money = await db.$queryRaw<Array<{ id: string; currency: string; net: string; orders: number }>>`
    SELECT e."customerId"::text AS id, e.currency,
      COALESCE(sum(${SIGNED_VALUE}), 0)::text AS net,
      (count(*) FILTER (WHERE e.type = 'purchase' AND ${NOT_FULLY_REFUNDED}))::int AS orders
    FROM "Event" e
    WHERE e."customerId" IN (${uuids}) AND e.type IN ('purchase', 'refund') AND e.currency IS NOT NULL
    GROUP BY e."customerId", e.currency`;
  const engagement = engagementByCustomer(
    await db.$queryRaw<Array<{ id: string; kind: string; channel: string; at: Date }>>(
      engagementFactsSql(uuids, now),
    ),
  );
  const moneyOf = new Map<string, SegmentFacts["money"]>();
  for (const row of money) {
    const byCurrency = moneyOf.get(row.id) ?? {};
    byCurrency[row.currency] = { net: row.net, orders: row.orders };
    moneyOf.set(row.id, byCurrency);
  }
  return new Map(
    rows.map((row) => [
      row.id,
      {
        now,
        orders: row.orders,
        money: moneyOf.get(row.id) ?? {},
        avgRating: row.avgRating === null ? null : Number(row.avgRating),
        lastPurchase: row.lastPurchase,
        lastInteraction: row.lastInteraction,
        firstSeen: row.firstSeen,
        name: row.name,
        email: row.email,
        phone: row.phone,
        country: row.country,
        locale: row.locale,
        timezone: row.timezone,
        source: row.source,
        preferredChannel: row.preferredChannel,
        loyaltyPoints: row.loyaltyPoints,
        loyaltyTier: row.loyaltyTier ?? null,
        channels: row.channels,
        skus: row.skus,
        tags: row.tags ?? [],
        consent: asMap(row.consent),
        attributes: asMap(row.attributes),
        rfmRecency: row.rfmRecency,
        rfmFrequency: row.rfmFrequency,
        rfmMonetary: row.rfmMonetary,
        rfmSegment: row.rfmSegment,
        engagement: engagement.get(row.id) ?? [],
        respondsOn: row.respondsOn,
        firstTouchSource: row.firstTouchSource ?? null,
        firstTouchMedium: row.firstTouchMedium ?? null,
        firstTouchCampaign: row.firstTouchCampaign ?? null,
      },
    ]),
  );
}
