import { describe, expect, it } from "vitest";
import { campaignFunnel } from "../../console/dashboard/funnel.ts";
import { dashboardWindow } from "../../console/dashboard/window.ts";
import { Prisma } from "../../lib/db/index.ts";
import { seeded } from "../support/campaign-stats.ts";
import { useTestDatabase } from "../support/db.ts";

// The funnel adds whole hours from DeliveryHourStat to the part hours at the window's ends from "Delivery":
// it must count exactly what a scan of the Delivery rows counts, whichever zone (midnight on the half hour
// included) and whatever the minute of now.
const database = useTestDatabase();

const STATUSES = ["planned", "queued", "sent", "sent", "sent", "failed", "suppressed", "skipped"] as const;

/** The funnel by scanning every Delivery due in the window: what the dashboard showed before the totals. */
async function scanned(window: { from: Date; to: Date }) {
  const [row] = await database.db.$queryRaw<Array<Record<string, number>>>(Prisma.sql`
    SELECT count(*)::int AS planned,
      count(*) FILTER (WHERE d.status = 'sent')::int AS sent,
      count(*) FILTER (WHERE d.status = 'sent' AND (d."deliveredAt" IS NOT NULL OR d.channel <> 'email'))::int
        AS delivered,
      count(d."convertedAt") FILTER (WHERE d.status = 'sent')::int AS converted
    FROM "Delivery" d
    WHERE d."scheduledAt" >= ${window.from} AND d."scheduledAt" < ${window.to}
      AND d."campaignId" IS NOT NULL AND NOT (d.status = 'skipped' AND d.reason IS NOT DISTINCT FROM 'holdout')`);
  return row;
}

describe("campaignFunnel", () => {
  it("counts what a scan of the Deliveries counts, at the window's part hours too", async () => {
    const db = database.db;
    const random = seeded(42);
    const customer = await db.customer.create({ data: { email: "funnel@example.com" } });
    await db.campaign.create({ data: { id: "funnel", name: "funnel" } });
    const now = Date.parse("2026-12-04T10:47:13Z");
    // 600 Deliveries over the 5 days before now and a little after it, some of them not campaign messages
    await db.delivery.createMany({
      data: Array.from({ length: 600 }, (_, i) => {
        const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
        const at = new Date(now - 5 * 86_400_000 + Math.floor(random() * 5.05 * 86_400_000));
        return {
          key: `funnel/${i}`,
          campaignId: random() < 0.9 ? "funnel" : null,
          customerId: customer.id,
          channel: random() < 0.6 ? ("email" as const) : ("telegram" as const),
          status,
          reason: status === "skipped" && random() < 0.5 ? "holdout" : null,
          scheduledAt: at,
          deliveredAt: status === "sent" && random() < 0.7 ? at : null,
          convertedAt: status === "sent" && random() < 0.2 ? at : null,
        };
      }),
    });
    for (const zone of ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Europe/Warsaw"]) {
      for (const days of [1, 3, 30]) {
        const window = dashboardWindow(now, zone, days);
        const funnel = await campaignFunnel(db, window);
        expect(funnel, `${zone}, ${days} days`).toEqual(await scanned(window));
      }
    }
    expect((await campaignFunnel(db, dashboardWindow(now, "UTC", 30))).planned).toBeGreaterThan(400);
  });
});
