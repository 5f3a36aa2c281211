import { describe, expect, it } from "vitest";
import { compileAudience, loadSegmentFacts, noSegments } from "../../../campaigns/segment/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-12-07T12:00:00.000Z");

async function customer(touch?: { source: string; medium?: string; campaign?: string }): Promise<string> {
  const created = await database.db.customer.create({ data: {} });
  if (touch)
    await database.db.firstTouch.create({
      data: { customerId: created.id, ...touch, via: "events_api", at: new Date("2026-11-01T00:00:00Z") },
    });
  return created.id;
}

describe("first_touch.* in segments", () => {
  it("selects by where customers first came from, the SQL and the predicate alike", async () => {
    const insta = await customer({ source: "instagram", medium: "social", campaign: "winter" });
    const shop = await customer({ source: "shopify", medium: "web" });
    const unknown = await customer();
    const ids = [insta, shop, unknown];
    const cases: Array<[string, string[]]> = [
      ['first_touch.source = "instagram"', [insta]],
      ['first_touch.source in ["instagram", "shopify"] and first_touch.medium != "web"', [insta]],
      ['first_touch.campaign = "winter"', [insta]],
      ["first_touch.source is null", [unknown]],
    ];
    const facts = await loadSegmentFacts(database.db, ids, NOW);
    expect(facts.size).toBe(3);
    for (const [expression, expected] of cases) {
      const audience = compileAudience(expression, noSegments("segments.yaml"));
      const rows = await database.db.$queryRaw<Array<{ id: string }>>`
        SELECT c.id::text AS id FROM "Customer" c WHERE c.id::text = ANY(${ids}) AND ${audience.sql(NOW)}`;
      expect(rows.map((r) => r.id).sort(), expression).toEqual([...expected].sort());
      const byPredicate = ids.filter((id) => audience.predicate(facts.get(id)!));
      expect(byPredicate.sort(), expression).toEqual([...expected].sort());
    }
  });
});
