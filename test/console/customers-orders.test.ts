import { describe, expect, it } from "vitest";
import { compileAudience, loadSegmentFacts, noSegments } from "../../campaigns/segment/index.ts";
import { currencyTotals } from "../../console/customers/profile.ts";
import { customer, insertCustomers } from "../campaigns/segment/customers.ts";
import { useTestDatabase } from "../support/db.ts";

// The profile's order count and the segment DSL's `orders` are one rule: a fully refunded order is no order.
const database = useTestDatabase();
const NOW = new Date("2026-12-07T12:00:00.000Z");

describe("the profile's orders", () => {
  it("leave out fully refunded orders, per currency, as the segment DSL's orders does", async () => {
    const [id] = await insertCustomers(database.db, [
      customer({
        purchases: [
          { cents: 10_000, skus: [], currency: "PLN", refunds: [1_000, 2_000] }, // partly refunded: counts
          { cents: 5_000, skus: [], currency: "PLN", refunds: [5_000] }, // refunded in full: does not
          { cents: 4_500_000, skus: [], currency: "IDR", refunds: [4_500_000] }, // the issue's Rp 45 000
          { cents: 2_000, skus: [], currency: "EUR" },
        ],
      }),
    ]);
    const totals = await currencyTotals(database.db, id!);
    expect(totals.map((t) => [t.currency, t.orders, t.lifetimeValue])).toEqual([
      ["EUR", 1, "20.00"],
      ["IDR", 0, "0.00"],
      ["PLN", 1, "70.00"],
    ]);

    const shown = totals.reduce((sum, t) => sum + t.orders, 0);
    const facts = await loadSegmentFacts(database.db, [id!], NOW);
    expect(facts.get(id!)?.orders).toBe(shown);
    const rows = await database.db.$queryRaw<Array<{ id: string }>>`
      SELECT c.id FROM "Customer" c WHERE c.id = ${id}::uuid AND ${compileAudience(`orders = ${shown}`, noSegments("segments.yaml")).sql(NOW)}`;
    expect(rows).toHaveLength(1);
  });
});
