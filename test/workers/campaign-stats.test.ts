import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  deliveryBuckets,
  hourBuckets,
  seeded,
  statBuckets,
  writeDeliveryHistory,
} from "../support/campaign-stats.ts";
import { useTestDatabase } from "../support/db.ts";

// CampaignStat is kept by triggers on "Delivery" (migration campaign_stats): whatever writes Deliveries, and
// however many connections write at once, its sums must equal the sums over the Delivery rows.
const database = useTestDatabase();

describe("CampaignStat", () => {
  it("equals the sums over Delivery after a random history of inserts, updates and deletes", async () => {
    for (const seed of [1, 2, 3]) {
      await writeDeliveryHistory(database.db, seed);
      const expected = await deliveryBuckets(database.db);
      expect(expected.length).toBeGreaterThan(10);
      expect(await statBuckets(database.db)).toEqual(expected);
      const hours = await hourBuckets(database.db);
      expect(hours.scanned.length).toBeGreaterThan(10);
      expect(hours.kept).toEqual(hours.scanned);
    }
  });

  it("stays exact while several connections change the same campaign's Deliveries at once", async () => {
    const db = database.db;
    const customer = await db.customer.create({ data: { email: "concurrent@example.com" } });
    await db.campaign.create({ data: { id: "busy", name: "busy" } });
    await db.delivery.createMany({
      data: Array.from({ length: 400 }, (_, i) => ({
        key: `busy/${i}`,
        campaignId: "busy",
        step: "main",
        variant: i % 2 ? "a" : "b",
        customerId: customer.id,
        channel: "email" as const,
        status: "queued" as const,
      })),
    });
    const ids = (await db.delivery.findMany({ where: { campaignId: "busy" }, select: { id: true } })).map(
      (d) => d.id,
    );
    const pool = new pg.Pool({ connectionString: database.url, max: 6 });
    let deadlocks = 0;
    try {
      // 6 connections, each running transactions that move a few Deliveries between statuses in random order,
      // as deliver workers recording sends and failures do
      await Promise.all(
        Array.from({ length: 6 }, async (_, worker) => {
          const random = seeded(100 + worker);
          const client = await pool.connect();
          try {
            for (let round = 0; round < 40; round++) {
              // rows taken in one order, as recordSent's single UPDATE does: any deadlock left would come from
              // the stat triggers, whose upserts lock the stat tables' rows in one order too
              const picked = [
                ...new Set(Array.from({ length: 3 }, () => ids[Math.floor(random() * ids.length)]!)),
              ].sort();
              const statuses = picked.map(
                () => (["sent", "failed", "queued"] as const)[Math.floor(random() * 3)]!,
              );
              for (;;) {
                try {
                  await client.query("BEGIN");
                  for (const [i, id] of picked.entries()) {
                    await client.query(
                      `UPDATE "Delivery" SET status = $2::"DeliveryStatus", "deliveredAt" =
                      CASE WHEN $2 = 'sent' THEN now() END WHERE id = $1::uuid`,
                      [id, statuses[i]],
                    );
                  }
                  await client.query("COMMIT");
                  break;
                } catch (error) {
                  await client.query("ROLLBACK");
                  if ((error as { code?: string }).code !== "40P01") throw error;
                  deadlocks++; // a deadlock is retried, as a worker's job would be
                }
              }
            }
          } finally {
            client.release();
          }
        }),
      );
    } finally {
      await pool.end();
    }
    expect(await statBuckets(db)).toEqual(await deliveryBuckets(db));
    const hours = await hourBuckets(db);
    expect(hours.kept).toEqual(hours.scanned);
    const busy = await statBuckets(db);
    expect(busy.filter((b) => b.key.startsWith("busy|")).reduce((n, b) => n + b.deliveries, 0)).toBe(400);
    expect(deadlocks).toBe(0);
  });
});
