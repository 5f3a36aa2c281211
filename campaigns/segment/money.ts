/**
 * Money in segments. Amounts are per currency: rupiah are never added to złoty. `total_spent("IDR")` reads one
 * currency; bare `total_spent` reads every currency that has a rate, converted to the base currency.
 */

/** The money fields: compared with a money literal (`100 EUR`), or per currency (`total_spent("PLN") > 500`). */
export const MONEY_FIELDS = ["total_spent", "avg_order"] as const;
export type MoneyField = (typeof MONEY_FIELDS)[number];

/** An ISO 4217 code as the DSL and the events API write it: three capital letters. */
export const CURRENCY_CODE = /^[A-Z]{3}$/;

/** Most decimals a rate may have: predicate and SQL then compute the same sums exactly. */
export const RATE_DECIMALS = 6;

/** What a bare money field is in: the base currency, and what one unit of each currency is worth in it. */
export interface MoneyContext {
  /** RAPPORT_BASE_CURRENCY: `EUR`. */
  readonly base: string;
  /** Currency → value of one unit in the base currency, as a decimal string (`PLN: "0.23"`). Holds the base at "1". */
  readonly rates: Readonly<Record<string, string>>;
}

/** The base currency when RAPPORT_BASE_CURRENCY is unset. */
export const DEFAULT_BASE_CURRENCY = "EUR";

/** Only the base currency itself counts: what a folder without currencies.yaml has. */
export function baseOnly(base: string = DEFAULT_BASE_CURRENCY): MoneyContext {
  return { base, rates: { [base]: "1" } };
}

/** True for `total_spent` and `avg_order`. */
export function isMoneyField(name: string): name is MoneyField {
  return (MONEY_FIELDS as readonly string[]).includes(name);
}

/**
 * A decimal as an integer scaled by 10^places, exactly (`"-12.5"`, 2 → -1250n). Extra decimals are cut, which
 * never happens for amounts (2 decimals in the database) or rates (at most {@link RATE_DECIMALS}).
 */
export function scaled(decimal: string, places: number): bigint {
  const negative = decimal.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? decimal.slice(1) : decimal).split(".");
  const digits = BigInt(whole + fraction.padEnd(places, "0").slice(0, places));
  return negative ? -digits : digits;
}

/**
 * A number exactly as `String(number)` writes it (`"12.5"`, `"1e+21"`, `"1.5e-7"`), as an integer and how many
 * decimals it has: what PostgreSQL reads from the same text.
 */
export function decimalOf(value: number): { digits: bigint; places: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(value));
  if (!match) throw new Error(`not a finite number: ${value}`);
  const [, sign, whole = "0", fraction = "", exponent = "0"] = match;
  let digits = BigInt(whole + fraction);
  let places = fraction.length - Number(exponent);
  if (places < 0) {
    digits *= 10n ** BigInt(-places);
    places = 0;
  }
  return { digits: sign ? -digits : digits, places };
}
