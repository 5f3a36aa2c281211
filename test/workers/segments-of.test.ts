import { describe, expect, it } from "vitest";
import { compileSegments } from "../../campaigns/index.ts";
import { segmentsOf } from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-03-10T09:00:00Z");
const { segments, issues } = compileSegments(
  [
    'big-spenders: total_spent("IDR") > 100',
    "regulars: orders >= 2",
    'indonesia: country = "ID"',
    "happy: avg_rating >= 4",
    "recent: first_seen > now - 30d",
    "loyal-indonesians: segment(indonesia) and segment(regulars)",
  ].join("\n"),
  "segments.yaml",
);

async function customer(data: {
  country?: string;
  createdAt?: Date;
  purchases?: number[];
  ratings?: number[];
}) {
  const created = await database.db.customer.create({
    data: { country: data.country ?? null, createdAt: data.createdAt ?? new Date("2025-01-01T00:00:00Z") },
  });
  for (const [i, value] of (data.purchases ?? []).entries())
    await database.db.event.create({
      data: {
        customerId: created.id,
        type: "purchase",
        externalId: `${created.id}-${i}`,
        value,
        currency: "IDR",
        occurredAt: NOW,
      },
    });
  for (const [i, value] of (data.ratings ?? []).entries())
    await database.db.event.create({
      data: {
        customerId: created.id,
        type: "rating",
        externalId: `${created.id}-r${i}`,
        value,
        occurredAt: NOW,
      },
    });
  return created.id;
}

describe("segmentsOf", () => {
  it("names every segment one customer is in now, in file order, from one query", async () => {
    expect(issues).toEqual([]);
    const id = await customer({ country: "ID", purchases: [80, 40], ratings: [5, 4] });
    expect(await segmentsOf(database.db, segments, id, NOW)).toEqual([
      "big-spenders",
      "regulars",
      "indonesia",
      "happy",
      "loyal-indonesians",
    ]);
  });

  it("uses the clock it is given for relative dates", async () => {
    const id = await customer({ createdAt: new Date("2026-03-01T00:00:00Z") });
    expect(await segmentsOf(database.db, segments, id, NOW)).toEqual(["recent"]);
    expect(await segmentsOf(database.db, segments, id, new Date("2026-06-01T00:00:00Z"))).toEqual([]);
  });

  it("is empty for a customer in no segment, an unknown customer, or no segments at all", async () => {
    const id = await customer({ country: "PL", purchases: [10] });
    expect(await segmentsOf(database.db, segments, id, NOW)).toEqual([]);
    expect(await segmentsOf(database.db, segments, "00000000-0000-4000-8000-000000000000", NOW)).toEqual([]);
    const none = compileSegments("", "empty.yaml").segments;
    expect(await segmentsOf(database.db, none, id, NOW)).toEqual([]);
  });
});
