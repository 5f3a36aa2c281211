import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Audience,
  compileAudience,
  compileSegments,
  loadSegmentFacts,
  type SegmentFacts,
} from "../../../campaigns/segment/index.ts";
import type { MoneyContext } from "../../../campaigns/segment/money.ts";
import { useTestDatabase } from "../../support/db.ts";
import { customerSpecs, expression } from "./arbitraries.ts";
import { factsOf, insertCustomers } from "./customers.ts";

const database = useTestDatabase();
const NOW = new Date("2026-03-01T12:00:00.000Z");
const CUSTOMERS = 40;
const EXPRESSIONS = 200;
const RUNS = 12;
/** Share of the expressions that must select some customers but not all: ~80 % do (1 908 of 2 400). */
const MIN_DISCRIMINATING = 0.5;
/** 12 × 200 expressions against PostgreSQL: 36 s measured on a busy 2-core machine, past vitest's 30 s. */
const PROPERTY_TIMEOUT_MS = 120_000;

/** Rates that binary floating point cannot hold: SQL and the predicate must still agree to the last digit. */
const MONEY: MoneyContext = { base: "EUR", rates: { EUR: "1", PLN: "0.23", IDR: "0.000058" } };

const { segments, issues } = compileSegments(
  [
    "big: total_spent >= 500 EUR or orders >= 3",
    'reachable: consented(email) or channels contains "telegram"',
    "big-reachable:",
    "  description: uses the other two",
    "  where: segment(big) and segment(reachable) and not opted_out(email)",
    "",
  ].join("\n"),
  "segments.yaml",
  MONEY,
);

function selected(audience: Audience, facts: Iterable<[string, SegmentFacts]>): string[] {
  return [...facts].filter(([, f]) => audience.predicate(f)).map(([id]) => id);
}

function explain(expr: string, ids: string[], facts: Map<string, SegmentFacts>, bySql: string[]): string {
  const sql = new Set(bySql);
  const differing = ids.filter((id) => sql.has(id) !== facts.has(id));
  return `${expr}\n${differing.map((id) => `${sql.has(id) ? "only SQL" : "only predicate"}: ${JSON.stringify(facts.get(id))}`).join("\n")}`;
}

describe("audience SQL and predicate (property)", () => {
  it("compiles the test segments", () => {
    expect(issues).toEqual([]);
  });

  it(
    "select the same customers for any customers and any expression",
    async () => {
      const names = [...segments.byName.keys()];
      let evaluated = 0;
      // expressions that pick some customers but not all: the ones that can tell SQL and predicate apart
      let discriminating = 0;
      await fc.assert(
        fc.asyncProperty(
          customerSpecs(NOW, CUSTOMERS),
          fc.array(expression(NOW, names), { minLength: EXPRESSIONS, maxLength: EXPRESSIONS }),
          async (specs, expressions) => {
            const db = database.db;
            await db.$executeRaw`DELETE FROM "Customer"`;
            const ids = await insertCustomers(db, specs);
            const loaded = await loadSegmentFacts(db, ids, NOW);
            const byHand = new Map(specs.map((spec, i) => [ids[i]!, factsOf(spec, NOW)]));
            for (const expr of expressions) {
              const audience = compileAudience(expr, segments);
              const rows = await db.$queryRaw<Array<{ id: string }>>`
              SELECT c.id FROM "Customer" c WHERE ${audience.sql(NOW)}`;
              const bySql = rows.map((row) => row.id).sort();
              const onLoaded = selected(audience, loaded).sort();
              const onHand = selected(audience, byHand).sort();
              expect(onLoaded, explain(expr, ids, loaded, bySql)).toEqual(bySql);
              expect(onHand, explain(expr, ids, byHand, bySql)).toEqual(bySql);
              evaluated++;
              if (bySql.length > 0 && bySql.length < ids.length) discriminating++;
            }
          },
        ),
        // Shrinking would re-insert 40 customers per step; the message names the expression and the customers.
        { numRuns: RUNS, endOnFailure: true },
      );
      expect(evaluated).toBe(RUNS * EXPRESSIONS);
      // a generator gone degenerate (always true, always false) would pass the rest
      expect(discriminating / evaluated).toBeGreaterThanOrEqual(MIN_DISCRIMINATING);
    },
    PROPERTY_TIMEOUT_MS,
  );
});
