import { beforeAll, describe, expect, it } from "vitest";
import {
  audienceIssues,
  compileAudience,
  compileSegments,
  loadSegmentFacts,
  type Segments,
} from "../../../campaigns/segment/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-03-01T12:00:00.000Z");
const labelOf = new Map<string, string>();
let segments: Segments;

beforeAll(async () => {
  const specs = { ana: ["vip", "wholesale"], piotr: ["wholesale"], zed: [] as string[] };
  for (const [label, tags] of Object.entries(specs)) {
    const row = await database.db.customer.create({ data: { name: label, tags } });
    labelOf.set(row.id, label);
  }
  segments = compileSegments('vips: tags contains "vip"\n', "segments.yaml").segments;
});

/** Who the audience takes in by SQL, checked against the in-memory predicate on the loaded facts. */
async function members(expression: string): Promise<string[]> {
  const audience = compileAudience(expression, segments);
  const rows = await database.db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM "Customer" c WHERE ${audience.sql(NOW)}`;
  const bySql = rows.flatMap((row) => labelOf.get(row.id) ?? []).sort();
  const loaded = await loadSegmentFacts(database.db, [...labelOf.keys()], NOW);
  expect(loaded.size).toBe(3);
  const byPredicate = [...loaded]
    .filter(([, facts]) => audience.predicate(facts))
    .map(([id]) => labelOf.get(id)!);
  expect(byPredicate.sort(), `predicate: ${expression}`).toEqual(bySql);
  return bySql;
}

describe("the segment field tags", () => {
  it.each([
    ['tags contains "vip"', ["ana"]],
    ['tags contains "VIP"', ["ana"]],
    ['tags contains "wholesale"', ["ana", "piotr"]],
    ['not tags contains "wholesale"', ["zed"]],
    ["segment(vips)", ["ana"]],
    ['tags contains "nobody"', []],
  ])("takes in the customers staff tagged: %s", async (expression, expected) => {
    expect(await members(expression)).toEqual(expected);
  });

  it("is a list: = is refused with the way to write it", () => {
    expect(audienceIssues('tags = "vip"', undefined).map((issue) => issue.message)).toEqual([
      'tags is a list: use tags contains "vip"',
    ]);
  });
});
