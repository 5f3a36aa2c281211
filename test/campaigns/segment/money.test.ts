import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import {
  audienceIssues,
  compileAudience,
  compileSegments,
  loadSegmentFacts,
  type Segments,
} from "../../../campaigns/segment/index.ts";
import type { MoneyContext } from "../../../campaigns/segment/money.ts";
import { currencyTotals } from "../../../console/customers/profile.ts";
import { useTestDatabase } from "../../support/db.ts";
import { type CustomerSpec, customer, factsOf, insertCustomers } from "./customers.ts";

const database = useTestDatabase();
const NOW = new Date("2026-12-07T12:00:00.000Z");
/** 1 PLN = 0.25 EUR, 1 IDR = 0.00006 EUR; USD has no rate. */
const MONEY: MoneyContext = { base: "EUR", rates: { EUR: "1", PLN: "0.25", IDR: "0.00006" } };

const SPECS: Record<string, CustomerSpec> = {
  // The issue's customer: one Rp 45 000 order, refunded in full.
  refunded: customer({ purchases: [{ cents: 4_500_000, skus: [], currency: "IDR", refunds: [4_500_000] }] }),
  // 600 EUR, refunded in full: over vip's 500 EUR only if refunds were ignored.
  returned: customer({ purchases: [{ cents: 60_000, skus: [], currency: "EUR", refunds: [60_000] }] }),
  // The same order, kept.
  kept: customer({ purchases: [{ cents: 4_500_000, skus: [], currency: "IDR" }] }),
  // 400 PLN and Rp 200 000: 100 + 12 = 112 EUR, never 200 400 of anything.
  mixed: customer({
    purchases: [
      { cents: 40_000, skus: [], currency: "PLN" },
      { cents: 20_000_000, skus: [], currency: "IDR" },
    ],
  }),
  // 100 PLN with 30 PLN refunded in two parts, and a 50 PLN order refunded in full.
  partial: customer({
    purchases: [
      { cents: 10_000, skus: [], currency: "PLN", refunds: [1_000, 2_000] },
      { cents: 5_000, skus: [], currency: "PLN", refunds: [5_000] },
    ],
  }),
  // 1 000 USD and 10 EUR: USD has no rate, so only the 10 EUR count in EUR.
  dollars: customer({
    purchases: [
      { cents: 100_000, skus: [], currency: "USD" },
      { cents: 1_000, skus: [], currency: "EUR" },
    ],
  }),
};

const labelOf = new Map<string, string>();
let shipped: Segments;

beforeAll(async () => {
  const names = Object.keys(SPECS);
  const ids = await insertCustomers(database.db, Object.values(SPECS));
  for (const [i, id] of ids.entries()) labelOf.set(id, names[i]!);
  const compiled = compileSegments(await readFile("campaigns/segments.yaml", "utf8"), "segments.yaml", MONEY);
  expect(compiled.issues).toEqual([]);
  shipped = compiled.segments;
});

/** Who the audience takes in by SQL, checked against the predicate on loaded facts and on facts made by hand. */
async function members(expression: string): Promise<string[]> {
  const audience = compileAudience(expression, shipped);
  const rows = await database.db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM "Customer" c WHERE ${audience.sql(NOW)}`;
  const bySql = rows.map((row) => labelOf.get(row.id)!).sort();
  const loaded = await loadSegmentFacts(database.db, [...labelOf.keys()], NOW);
  const byLoaded = [...loaded].filter(([, f]) => audience.predicate(f)).map(([id]) => labelOf.get(id)!);
  const byHand = Object.entries(SPECS)
    .filter(([, spec]) => audience.predicate(factsOf(spec, NOW)))
    .map(([label]) => label);
  expect(byLoaded.sort(), `predicate on loaded facts: ${expression}`).toEqual(bySql);
  expect(byHand.sort(), `predicate on facts by hand: ${expression}`).toEqual(bySql);
  return bySql;
}

describe("money in segments", () => {
  it("leaves the buyer of one fully refunded Rp 45 000 order out of vip, with 0 orders", async () => {
    expect(await members("segment(vip)")).toEqual([]);
    expect(await members("orders = 0")).toEqual(["refunded", "returned"]);
    // no rupiah left, like those who never paid in rupiah
    expect(await members('total_spent("IDR") = 0')).toEqual(["dollars", "partial", "refunded", "returned"]);
    expect(await members('total_spent("IDR") >= 45000')).toEqual(["kept", "mixed"]);
  });

  it("never adds rupiah to złoty", async () => {
    expect(await members('total_spent("PLN") = 400')).toEqual(["mixed"]);
    expect(await members('total_spent("IDR") = 200000 IDR')).toEqual(["mixed"]);
    expect(await members('total_spent("PLN") > 500 or total_spent("IDR") > 300000')).toEqual([]);
  });

  it("converts every currency with a rate to the base currency, and leaves out one without", async () => {
    expect(await members("total_spent = 112 EUR")).toEqual(["mixed"]);
    expect(await members("total_spent > 111.99 EUR and total_spent < 112.01 EUR")).toEqual(["mixed"]);
    // 45 000 × 0.00006 = 2.7 exactly, in SQL and in the predicate
    expect(await members("total_spent = 2.7 EUR")).toEqual(["kept"]);
    expect(await members("total_spent = 10 EUR")).toEqual(["dollars"]);
    expect(await members('total_spent("USD") = 1000')).toEqual(["dollars"]);
  });

  it("takes partial refunds off and leaves fully refunded orders out of orders and averages", async () => {
    expect(await members('total_spent("PLN") = 70')).toEqual(["partial"]);
    expect(await members("orders = 1")).toEqual(["kept", "partial"]);
    expect(await members('avg_order("PLN") = 70')).toEqual(["partial"]);
    expect(await members('avg_order("PLN") = 400')).toEqual(["mixed"]);
    expect(await members("avg_order = 17.5 EUR")).toEqual(["partial"]);
    // 112 EUR over 2 orders
    expect(await members("avg_order = 56 EUR")).toEqual(["mixed"]);
    // no PLN order kept: no average, so neither = nor != holds
    expect(await members('avg_order("PLN") != 70')).toEqual(["mixed"]);
  });

  it("agrees with the lifetime value the console's profile shows, per currency", async () => {
    const facts = await loadSegmentFacts(database.db, [...labelOf.keys()], NOW);
    expect(facts.size).toBe(labelOf.size);
    for (const [id, fact] of facts) {
      const totals = await currencyTotals(database.db, id);
      const shown = Object.fromEntries(totals.map((t) => [t.currency, Number(t.lifetimeValue)]));
      const net = Object.fromEntries(Object.entries(fact.money).map(([code, m]) => [code, Number(m.net)]));
      expect(net, labelOf.get(id)).toEqual(shown);
    }
  });

  it("compares with amounts past any total, and below any refund", async () => {
    expect(await members("total_spent >= 99999999999999999999999 EUR")).toEqual([]);
    expect(await members('total_spent("PLN") < -99999999999999999999999')).toEqual([]);
    // more decimals than any total has: compared exactly, never rounded to one
    expect(await members("total_spent = 112.000000001 EUR")).toEqual([]);
    expect(await members("total_spent > 111.999999999 EUR and total_spent < 112.000000001 EUR")).toEqual([
      "mixed",
    ]);
    expect(await members('total_spent("PLN") > 0.0000001 and total_spent("PLN") < 70.0000001')).toEqual([
      "partial",
    ]);
    expect(await members("total_spent > -0.01 EUR")).toEqual([
      "dollars",
      "kept",
      "mixed",
      "partial",
      "refunded",
      "returned",
    ]);
  });

  it("loads the money per currency, purchases minus refunds", async () => {
    const id = [...labelOf].find(([, label]) => label === "partial")![0];
    const facts = (await loadSegmentFacts(database.db, [id], NOW)).get(id)!;
    expect(facts.orders).toBe(1);
    expect(facts.money).toEqual({ PLN: { net: "70.00", orders: 1 } });
  });
});

describe("money types", () => {
  function issues(expression: string): string[] {
    return audienceIssues(expression, shipped).map((issue) => `${issue.col}: ${issue.message}`);
  }

  it("refuses a bare number compared with money, saying how to write it", () => {
    expect(issues("total_spent > 500")).toEqual([
      '15: total_spent is money in the base currency EUR: write 500 EUR, or total_spent("PLN") > 500 for one currency',
    ]);
    expect(issues("orders >= 1 and avg_order <= 20")).toEqual([
      '30: avg_order is money in the base currency EUR: write 20 EUR, or avg_order("PLN") > 20 for one currency',
    ]);
  });

  it("refuses an amount in another currency than the one compared", () => {
    expect(issues("total_spent > 500 PLN")).toEqual([
      '15: total_spent is in the base currency EUR (RAPPORT_BASE_CURRENCY): write 500 EUR, or total_spent("PLN") > 500 for PLN alone',
    ]);
    expect(issues('total_spent("IDR") > 5 EUR')).toEqual([
      '22: total_spent("IDR") is in IDR: compare it with 5 or 5 IDR, not 5 EUR',
    ]);
  });

  it("refuses money where it does not belong and a currency that is no code", () => {
    expect(issues("orders > 5 EUR")).toEqual([
      "10: 5 EUR is an amount of money: only total_spent and avg_order compare with one; write 5",
    ]);
    expect(issues('total_spent("pln") > 5')).toEqual([
      '13: "pln" is not a currency code: write three capital letters, like total_spent("PLN")',
    ]);
    expect(issues("total_spent is null")).toEqual([
      "1: total_spent is money: compare it with =, !=, <, <=, > or >=, like total_spent > 100 EUR",
    ]);
    expect(issues('total_spent > "big"')).toEqual([
      '15: total_spent is money: compare it with an amount like 500 EUR, not "big"',
    ]);
  });

  it("reads keywords after a number as keywords, not currencies", () => {
    expect(issues("orders > 5 AND total_spent > 5 EUR")).toEqual([]);
  });
});
