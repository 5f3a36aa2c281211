import { describe, expect, it } from "vitest";
import { compileAudience, loadSegmentFacts, noSegments } from "../../../campaigns/segment/index.ts";
import { CampaignSyntaxError } from "../../../lib/errors.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-12-07T12:00:00.000Z");

async function customer(points: number, tier: string | null): Promise<string> {
  const created = await database.db.customer.create({ data: { loyaltyPoints: points, loyaltyTier: tier } });
  return created.id;
}

describe("loyalty.points and loyalty.tier in segments", () => {
  it("selects by balance and tier, the SQL and the predicate alike", async () => {
    const gold = await customer(1500, "gold");
    const poorGold = await customer(20, "gold");
    const silver = await customer(800, "silver");
    const none = await customer(0, null);
    const ids = [gold, poorGold, silver, none];
    const cases: Array<[string, string[]]> = [
      ['loyalty.points >= 100 and loyalty.tier = "gold"', [gold]],
      ['loyalty.tier in ["gold", "silver"]', [gold, poorGold, silver]],
      ["loyalty.tier is null", [none]],
      ["loyalty.points < 100", [poorGold, none]],
    ];
    const facts = await loadSegmentFacts(database.db, ids, NOW);
    expect(facts.size).toBe(4);
    for (const [expression, expected] of cases) {
      const audience = compileAudience(expression, noSegments("segments.yaml"));
      const rows = await database.db.$queryRaw<Array<{ id: string }>>`
        SELECT c.id::text AS id FROM "Customer" c WHERE c.id::text = ANY(${ids}) AND ${audience.sql(NOW)}`;
      expect(rows.map((r) => r.id).sort(), expression).toEqual([...expected].sort());
      const byPredicate = ids.filter((id) => audience.predicate(facts.get(id)!));
      expect(byPredicate.sort(), expression).toEqual([...expected].sort());
    }
  });

  it("refuses a number compared with the tier and text compared with the points", () => {
    const segments = noSegments("segments.yaml");
    expect(() => compileAudience("loyalty.tier > 5", segments)).toThrow(CampaignSyntaxError);
    expect(() => compileAudience('loyalty.points = "gold"', segments)).toThrow(CampaignSyntaxError);
  });
});
