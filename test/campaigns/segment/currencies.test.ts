import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCampaigns } from "../../../campaigns/index.ts";
import {
  compileCurrencies,
  compileSegments,
  missingRates,
  namedCurrencies,
} from "../../../campaigns/segment/index.ts";
import { formatPosition } from "../../../lib/errors.ts";

const NOW = new Date("2026-12-07T12:00:00Z");

function shown(issues: Array<{ file: string; line: number; col: number; message: string }>): string[] {
  return issues.map((issue) => `${formatPosition(issue)}: ${issue.message}`);
}

describe("currencies.yaml", () => {
  it("reads the shipped rates to EUR", async () => {
    const source = await readFile("campaigns/currencies.yaml", "utf8");
    const compiled = compileCurrencies(source, "currencies.yaml", "EUR", NOW);
    expect(compiled.issues).toEqual([]);
    expect(compiled.warnings).toEqual([]);
    expect(compiled.money).toEqual({ base: "EUR", rates: { EUR: "1", PLN: "0.23", IDR: "0.000058" } });
  });

  it("reports every bad rate at its line and column", () => {
    const source = [
      "base: EUR",
      "rates:",
      "  pln: { rate: 0.23, date: 2026-12-01 }",
      "  IDR: { rate: 0.0000581, date: 2026-12-01 }",
      "  USD: { rate: -1, date: yesterday }",
      "",
    ].join("\n");
    const compiled = compileCurrencies(source, "currencies.yaml", "EUR", NOW);
    expect(shown(compiled.issues)).toEqual([
      "currencies.yaml:3:8: rates.pln: expected a currency code of three capital letters, like PLN",
      "currencies.yaml:4:16: rates.IDR.rate: expected at most 6 decimals, like 0.000058",
      "currencies.yaml:5:16: rates.USD.rate: expected a rate above 0",
      "currencies.yaml:5:26: rates.USD.date: expected the date the rate was taken, like 2026-12-01",
    ]);
    // with errors, only the base currency counts
    expect(compiled.money.rates).toEqual({ EUR: "1" });
  });

  it("refuses a base other than RAPPORT_BASE_CURRENCY, naming both fixes", () => {
    const compiled = compileCurrencies("base: PLN\n", "currencies.yaml", "EUR", NOW);
    expect(shown(compiled.issues)).toEqual([
      "currencies.yaml:1:7: base: PLN is not RAPPORT_BASE_CURRENCY (EUR): write base: EUR, or set RAPPORT_BASE_CURRENCY=PLN",
    ]);
  });

  it("warns of a rate older than 90 days, and keeps using it", () => {
    const source = "base: EUR\nrates:\n  PLN: { rate: 0.23, date: 2026-08-01 }\n";
    const compiled = compileCurrencies(source, "currencies.yaml", "EUR", NOW);
    expect(compiled.issues).toEqual([]);
    expect(shown(compiled.warnings)).toEqual([
      "currencies.yaml:3:28: rates.PLN: the rate is 128 days old (from 2026-08-01): update it, or PLN totals drift",
    ]);
    expect(compiled.money.rates).toEqual({ EUR: "1", PLN: "0.23" });
  });

  it("names the currencies segments use that have no rate", () => {
    const money = { base: "EUR", rates: { EUR: "1", PLN: "0.23" } };
    const { segments, issues } = compileSegments(
      'us: total_spent("USD") > 10\npl: avg_order("PLN") > 5 or total_spent > 1 EUR\n',
      "segments.yaml",
      money,
    );
    expect(issues).toEqual([]);
    expect(shown(missingRates(namedCurrencies(segments), money, "currencies.yaml"))).toEqual([
      "currencies.yaml:1:1: no rate for USD: orders in USD do not count toward total_spent in EUR; add it under rates, like USD: { rate: 0.23, date: 2026-12-01 }",
    ]);
  });

  it("is the campaigns folder's rates for its segments, never a campaign", async () => {
    const dir = await mkdtemp(join(tmpdir(), "rapport-currencies-"));
    try {
      await writeFile(join(dir, "segments.yaml"), "big: total_spent > 100 PLN\n");
      await writeFile(
        join(dir, "currencies.yaml"),
        "base: PLN\nrates:\n  EUR: { rate: 4.25, date: 2026-12-01 }\n",
      );
      const loaded = await loadCampaigns(dir, { baseCurrency: "PLN", now: NOW });
      expect(shown(loaded.errors)).toEqual([]);
      expect(loaded.campaigns).toEqual([]);
      expect(loaded.segments.money).toEqual({ base: "PLN", rates: { PLN: "1", EUR: "4.25" } });
      // the same folder read with EUR as the base: the file says otherwise, and 100 PLN is refused
      const wrong = await loadCampaigns(dir, { now: NOW });
      expect(shown(wrong.errors).map((line) => line.replace(dir, "…"))).toEqual([
        "…/currencies.yaml:1:7: base: PLN is not RAPPORT_BASE_CURRENCY (EUR): write base: EUR, or set RAPPORT_BASE_CURRENCY=PLN",
        '…/segments.yaml:1:20: big: total_spent is in the base currency EUR (RAPPORT_BASE_CURRENCY): write 100 EUR, or total_spent("PLN") > 100 for PLN alone',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
