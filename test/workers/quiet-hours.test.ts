import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Prisma } from "../../lib/db/index.ts";
import { validUntilSql } from "../../workers/fanout-sql.ts";
import { derivedData } from "../../workers/message-data.ts";
import { quietShift, quietShiftSql } from "../../workers/quiet-hours.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
const ZONES = [
  "Asia/Jakarta",
  "Europe/Warsaw",
  "America/New_York",
  "Pacific/Auckland",
  "UTC",
  "Asia/Kolkata",
];
const QUIET = { start: "21:00", end: "08:00" };

describe("quietShift", () => {
  it("holds a message due in the customer's night until their morning, and lets a daytime one go", () => {
    // 23:30 in Jakarta (UTC+7) → 08:00 next morning there
    expect(quietShift(new Date("2026-11-23T16:30:00Z"), "Asia/Jakarta", QUIET)).toEqual(
      new Date("2026-11-24T01:00:00Z"),
    );
    // 06:00 in Warsaw (UTC+1 in November) → 08:00 the same morning
    expect(quietShift(new Date("2026-11-23T05:00:00Z"), "Europe/Warsaw", QUIET)).toEqual(
      new Date("2026-11-23T07:00:00Z"),
    );
    // the same instant is 12:00 in Jakarta: sent at once
    expect(quietShift(new Date("2026-11-23T05:00:00Z"), "Asia/Jakarta", QUIET)).toEqual(
      new Date("2026-11-23T05:00:00Z"),
    );
    // a window within one day
    expect(quietShift(new Date("2026-11-23T13:00:00Z"), "UTC", { start: "12:00", end: "14:00" })).toEqual(
      new Date("2026-11-23T14:00:00Z"),
    );
  });

  it("ends the night at 08:00 local across a DST change", () => {
    // Warsaw leaves summer time on 25 October 2026: 08:00 that morning is 07:00 UTC
    expect(quietShift(new Date("2026-10-24T22:00:00Z"), "Europe/Warsaw", QUIET)).toEqual(
      new Date("2026-10-25T07:00:00Z"),
    );
  });

  it("agrees with its SQL twin on random instants, zones and windows", async () => {
    const hhmm = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 59))
      .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    const cases = fc.sample(
      fc.record({
        due: fc.date({
          min: new Date("2026-01-01T00:00:00Z"),
          max: new Date("2027-01-01T00:00:00Z"),
          noInvalidDate: true,
        }),
        zone: fc.constantFrom(...ZONES),
        quiet: fc
          .tuple(hhmm, hhmm)
          .filter(([a, b]) => a !== b)
          .map(([start, end]) => ({ start, end })),
      }),
      { numRuns: 400, seed: 42 },
    );
    const rows = await database.db.$queryRaw<Array<{ i: number; at: Date }>>(Prisma.sql`
      SELECT i, at FROM (VALUES ${Prisma.join(
        cases.map(
          (c, i) =>
            Prisma.sql`(${i}::int, ${quietShiftSql(Prisma.sql`${c.due}::timestamptz`, Prisma.sql`${c.zone}::text`, c.quiet)})`,
        ),
      )}) AS t(i, at)`);
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) {
      const c = cases[row.i]!;
      expect({ ...c, at: row.at.toISOString() }).toEqual({
        ...c,
        at: quietShift(c.due, c.zone, c.quiet).toISOString(),
      });
    }
  });
});

describe("derivedData validUntil", () => {
  it("ends at 23:59:59 local on the last valid day, in TypeScript and in the fan-out's SQL alike", async () => {
    const cases = ZONES.flatMap((zone) =>
      ["2026-03-28T22:30:00Z", "2026-10-24T23:30:00Z", "2026-12-04T10:30:00Z"].map((due) => ({
        zone,
        due: new Date(due),
      })),
    );
    const rows = await database.db.$queryRaw<Array<{ i: number; until: string }>>(Prisma.sql`
      SELECT i, ${validUntilSql(Prisma.sql`d`, Prisma.sql`z`, 14)} AS until
      FROM (VALUES ${Prisma.join(cases.map((c, i) => Prisma.sql`(${i}::int, ${c.due}::timestamptz, ${c.zone}::text)`))}) AS t(i, d, z)`);
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) {
      const c = cases[row.i]!;
      expect({ ...c, until: derivedData({ valid_days: 14 }, c.due, c.zone).validUntil }).toEqual({
        ...c,
        until: row.until,
      });
    }
    expect(derivedData({ valid_days: 14 }, new Date("2026-12-04T10:30:00Z"), "Asia/Jakarta")).toEqual({
      validUntil: "2026-12-18T16:59:59.000Z",
    });
  });
});
