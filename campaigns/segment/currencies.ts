import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import type { CampaignIssue } from "../../lib/errors.ts";
import { campaignIssues, KnownKeys } from "../issues.ts";
import { locate, positionOf } from "../positions.ts";
import { yamlIssues } from "../yaml-issues.ts";
import type { Condition } from "./condition.ts";
import { baseOnly, CURRENCY_CODE, type MoneyContext, RATE_DECIMALS } from "./money.ts";
import type { Segments } from "./segments.ts";

/** A rate older than this many days is reported as stale by `campaigns validate`. */
export const STALE_RATE_DAYS = 90;

const DAY_MS = 86_400_000;

const Code = z.string().regex(CURRENCY_CODE, "expected a currency code of three capital letters, like PLN");

const Rate = z.strictObject({
  rate: z
    .number({ error: "expected a number: what one unit of this currency is worth in the base currency" })
    .positive("expected a rate above 0")
    .refine((n) => new RegExp(`^-?\\d+(\\.\\d{1,${RATE_DECIMALS}})?$`).test(String(n)), {
      message: `expected at most ${RATE_DECIMALS} decimals, like 0.000058`,
    }),
  date: z
    .string({ error: "expected the date the rate was taken, like 2026-12-01" })
    .regex(/^\d{4}-\d{2}-\d{2}$/, "expected the date the rate was taken, like 2026-12-01")
    .refine((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d) || !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), {
      message: "expected a real date, like 2026-12-01",
    }),
});

/** campaigns/currencies.yaml: the base currency and each rate to it, with the date it was taken. */
export const CurrenciesFile = z.strictObject({
  base: Code,
  rates: z
    .record(z.string(), Rate)
    .superRefine((rates, ctx) => {
      for (const code of Object.keys(rates)) {
        if (!CURRENCY_CODE.test(code)) {
          ctx.addIssue({
            code: "custom",
            path: [code],
            message: "expected a currency code of three capital letters, like PLN",
          });
        }
      }
    })
    .default({}),
});
export type CurrenciesFile = z.infer<typeof CurrenciesFile>;

/** What a currencies.yaml gives: the money context, its errors, and warnings that do not stop a start. */
export interface CompiledCurrencies {
  money: MoneyContext;
  issues: CampaignIssue[];
  warnings: CampaignIssue[];
}

/**
 * Compiles a currencies.yaml against RAPPORT_BASE_CURRENCY: its `base` must be that currency. A rate older
 * than {@link STALE_RATE_DAYS} days at `now` is a warning; with errors, only the base currency counts.
 */
export function compileCurrencies(source: string, file: string, base: string, now: Date): CompiledCurrencies {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const issues = yamlIssues(doc, lines, file);
  const warnings: CampaignIssue[] = [];
  if (issues.length > 0) return { money: baseOnly(base), issues, warnings };
  const known = new KnownKeys();
  const parsed = CurrenciesFile.safeParse(doc.toJS() ?? {}, { error: known.errorMap });
  if (!parsed.success) {
    return {
      money: baseOnly(base),
      issues: campaignIssues(parsed.error.issues, doc, lines, file, known, false).sort(
        (a, b) => a.line - b.line || a.col - b.col,
      ),
      warnings,
    };
  }
  const at = (path: PropertyKey[]) => positionOf(locate(doc, path).node, lines);
  if (parsed.data.base !== base) {
    const message = `base: ${parsed.data.base} is not RAPPORT_BASE_CURRENCY (${base}): write base: ${base}, or set RAPPORT_BASE_CURRENCY=${parsed.data.base}`;
    return { money: baseOnly(base), issues: [{ file, ...at(["base"]), message }], warnings };
  }
  const rates: Record<string, string> = { [base]: "1" };
  for (const [code, { rate, date }] of Object.entries(parsed.data.rates)) {
    if (code === base) continue;
    rates[code] = String(rate);
    const days = Math.floor((now.getTime() - Date.parse(`${date}T00:00:00Z`)) / DAY_MS);
    if (days > STALE_RATE_DAYS) {
      warnings.push({
        file,
        ...at(["rates", code, "date"]),
        message: `rates.${code}: the rate is ${days} days old (from ${date}): update it, or ${code} totals drift`,
      });
    }
  }
  return { money: { base, rates }, issues, warnings };
}

/**
 * Reads a campaigns folder's currencies.yaml; without one only the base currency counts.
 * @param file Its path, as messages show it.
 */
export async function loadCurrencies(file: string, base: string, now: Date): Promise<CompiledCurrencies> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch {
    return { money: baseOnly(base), issues: [], warnings: [] };
  }
  return compileCurrencies(source, file, base, now);
}

/**
 * Warnings for the currencies the segments name (`total_spent("USD")`) that have no rate: their orders count
 * there but not in bare `total_spent`, in the base currency.
 */
export function missingRates(named: Iterable<string>, money: MoneyContext, file: string): CampaignIssue[] {
  return [...new Set(named)]
    .filter((code) => !Object.hasOwn(money.rates, code))
    .sort()
    .map((code) => ({
      file,
      line: 1,
      col: 1,
      message: `no rate for ${code}: orders in ${code} do not count toward total_spent in ${money.base}; add it under rates, like ${code}: { rate: 0.23, date: 2026-12-01 }`,
    }));
}

function named(condition: Condition, into: Set<string>): void {
  if (condition.kind === "and" || condition.kind === "or")
    for (const item of condition.items) named(item, into);
  else if (condition.kind === "not") named(condition.item, into);
  else if (condition.kind === "money") for (const code of Object.keys(condition.rates)) into.add(code);
}

/** The currencies the segments compare in: `total_spent("USD")` names USD. */
export function namedCurrencies(segments: Segments): string[] {
  const into = new Set<string>();
  for (const segment of segments.byName.values()) named(segment.condition, into);
  return [...into];
}
