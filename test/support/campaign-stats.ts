import { random as mulberry32 } from "../../bench/seed.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";

/** A bucket of `CampaignStat`'s key with its summed counters, as text for exact comparison. */
export interface StatBucket {
  key: string;
  deliveries: number;
  delivered: number;
  opened: number;
  clicked: number;
  converted: number;
  withRevenue: number;
  revenue: string;
}

const STATUSES = ["planned", "queued", "sent", "failed", "suppressed", "skipped"] as const;
const REASONS = [null, "holdout", "opted_out", "timeout"] as const;

/** A small deterministic generator (mulberry32): the same seed writes the same history. */
export const seeded = mulberry32;

/**
 * Writes a random history of campaign Deliveries the way the engine and webhooks do — multi-row inserts,
 * single and multi-row status changes, provider events, conversions with revenue in several currencies,
 * deletions, updates that touch nothing counted, and a campaign deleted under its Deliveries — so the running
 * totals can be compared with the sums over "Delivery".
 */
export async function writeDeliveryHistory(db: Db, seed: number, operations = 120): Promise<void> {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const customer = await db.customer.create({ data: { email: `stats-${seed}@example.com` } });
  const campaigns = [`stats-a-${seed}`, `stats-b-${seed}`, `stats-gone-${seed}`];
  for (const id of campaigns) await db.campaign.create({ data: { id, name: id } });
  const events = await Promise.all(
    ["PLN", "IDR", null].map((currency, i) =>
      db.event.create({
        data: {
          customerId: customer.id,
          type: "purchase",
          externalId: `stats-${seed}-${i}`,
          value: new Prisma.Decimal("12.34"),
          currency,
          occurredAt: new Date("2026-11-01T10:00:00Z"),
        },
      }),
    ),
  );
  let written = 0;
  const ids = async () =>
    (await db.delivery.findMany({ select: { id: true }, orderBy: { key: "asc" } })).map((d) => d.id);
  for (let op = 0; op < operations; op++) {
    const roll = random();
    if (roll < 0.2) {
      const count = 1 + Math.floor(random() * 8);
      await db.delivery.createMany({
        data: Array.from({ length: count }, () => ({
          key: `stats/${seed}/${written++}`,
          campaignId: pick([...campaigns, null]),
          step: pick(["main", "reminder", null]),
          variant: pick(["a", "b", "holdout", null]),
          customerId: customer.id,
          channel: pick(["email", "telegram"] as const),
          status: pick(["planned", "queued"] as const),
          scheduledAt: new Date(Date.UTC(2026, 10, 1, Math.floor(random() * 48), Math.floor(random() * 60))),
        })),
      });
      continue;
    }
    const all = await ids();
    if (all.length === 0) continue;
    const one = pick(all);
    if (roll < 0.55) {
      const status = pick(STATUSES);
      await db.delivery.update({
        where: { id: one },
        data: { status, reason: status === "sent" ? null : pick(REASONS), attempts: { increment: 1 } },
      });
    } else if (roll < 0.65) {
      const some = all.filter(() => random() < 0.3);
      await db.delivery.updateMany({ where: { id: { in: some } }, data: { status: pick(STATUSES) } });
    } else if (roll < 0.75) {
      const at = new Date("2026-11-02T10:00:00Z");
      await db.delivery.update({
        where: { id: one },
        data: pick([{ deliveredAt: at }, { openedAt: at }, { clickedAt: at }, { deliveredAt: null }]),
      });
    } else if (roll < 0.85) {
      const event = pick(events);
      await db.delivery.update({
        where: { id: one },
        data:
          random() < 0.8
            ? {
                convertedAt: new Date(),
                conversionEventId: event.id,
                revenue: new Prisma.Decimal(random() < 0.9 ? "12.34" : "0.01"),
              }
            : { convertedAt: null, conversionEventId: null, revenue: null },
      });
    } else if (roll < 0.9) {
      await db.delivery.update({ where: { id: one }, data: { providerId: `p-${op}`, batchKey: `b-${op}` } });
    } else if (roll < 0.95) {
      await db.delivery.delete({ where: { id: one } });
    } else {
      await db.delivery.update({ where: { id: one }, data: { campaignId: pick([...campaigns, null]) } });
    }
  }
  // a campaign deleted under its Deliveries: they keep existing with no campaign (ON DELETE SET NULL)
  await db.campaign.delete({ where: { id: campaigns[2]! } });
}

const BUCKET = `"campaignId" || '|' || step || '|' || variant || '|' || status || '|' || reason || '|' || currency`;

/** The running totals, summed over shards; buckets that sum to nothing left out. */
export async function statBuckets(db: Db): Promise<StatBucket[]> {
  return db.$queryRawUnsafe<StatBucket[]>(`
    SELECT ${BUCKET} AS key, sum(deliveries)::int AS deliveries, sum(delivered)::int AS delivered,
      sum(opened)::int AS opened, sum(clicked)::int AS clicked, sum(converted)::int AS converted,
      sum("withRevenue")::int AS "withRevenue", sum(revenue)::text AS revenue
    FROM "CampaignStat" GROUP BY 1
    HAVING sum(deliveries) <> 0 OR sum(delivered) <> 0 OR sum(opened) <> 0 OR sum(clicked) <> 0
      OR sum(converted) <> 0 OR sum("withRevenue") <> 0 OR sum(revenue) <> 0
    ORDER BY 1`);
}

/** The same buckets computed from every Delivery: what the running totals must equal. */
export async function deliveryBuckets(db: Db): Promise<StatBucket[]> {
  return db.$queryRawUnsafe<StatBucket[]>(`
    SELECT ${BUCKET} AS key, count(*)::int AS deliveries, count("deliveredAt")::int AS delivered,
      count("openedAt")::int AS opened, count("clickedAt")::int AS clicked, count("convertedAt")::int AS converted,
      count(revenue)::int AS "withRevenue", COALESCE(sum(revenue), 0)::numeric(20, 2)::text AS revenue
    FROM (SELECT d."campaignId", COALESCE(d.step, '') AS step, COALESCE(d.variant, '') AS variant,
            d.status::text AS status, COALESCE(d.reason, '') AS reason, COALESCE(e.currency, '') AS currency,
            d."deliveredAt", d."openedAt", d."clickedAt", d."convertedAt", d.revenue
          FROM "Delivery" d LEFT JOIN "Event" e ON e.id = d."conversionEventId"
          WHERE d."campaignId" IS NOT NULL) b
    GROUP BY 1 ORDER BY 1`);
}

/** `DeliveryHourStat` summed over shards, and the same from every Delivery: they must be equal. */
export async function hourBuckets(db: Db): Promise<{ kept: unknown[]; scanned: unknown[] }> {
  const kept = await db.$queryRawUnsafe<unknown[]>(`
    SELECT hour, channel::text, status::text, holdout, sum(deliveries)::int AS deliveries,
      sum(delivered)::int AS delivered, sum(converted)::int AS converted
    FROM "DeliveryHourStat" GROUP BY 1, 2, 3, 4
    HAVING sum(deliveries) <> 0 OR sum(delivered) <> 0 OR sum(converted) <> 0
    ORDER BY 1, 2, 3, 4`);
  const scanned = await db.$queryRawUnsafe<unknown[]>(`
    SELECT date_trunc('hour', "scheduledAt") AS hour, channel::text, status::text,
      status = 'skipped' AND reason IS NOT DISTINCT FROM 'holdout' AS holdout, count(*)::int AS deliveries,
      count("deliveredAt")::int AS delivered, count("convertedAt")::int AS converted
    FROM "Delivery" WHERE "campaignId" IS NOT NULL GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4`);
  return { kept, scanned };
}
