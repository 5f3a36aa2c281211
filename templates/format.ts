/**
 * Locale-aware formatting through `Intl`, free of Handlebars so it can be tested and reused on its own.
 * Every function throws a plain `Error` whose message tells the template author what to pass instead;
 * the helpers in `helpers.ts` attach the template file and line.
 */
import { dateTimeFormat, formatCurrency, numberFormat, pluralRules } from "../lib/intl.ts";

/** A decimal amount as it may arrive from the shop or the database: `42.5`, `"199.99"`, `"150000"`. */
export type Amount = number | string;

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Validates an amount and returns it in a form `Intl.NumberFormat` formats exactly (strings stay strings). */
function toAmount(value: unknown, what: string): number | `${number}` {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && DECIMAL.test(value.trim())) return value.trim() as `${number}`;
  throw new Error(`${what} must be a number or a decimal string like "199.99", got ${describe(value)}`);
}

/** Short description of a value for error messages, never the whole value. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return Array.isArray(value) ? "a list" : "an object";
  return String(value);
}

/**
 * Formats money in a locale: `formatMoney(150000, "IDR", "id")` → "Rp 150.000",
 * `formatMoney("199.99", "PLN", "pl")` → "199,99 zł", `formatMoney(42.5, "USD", "en")` → "$42.50".
 * Currencies without minor units in use (IDR, JPY, …) show no fraction digits when the amount is whole, and two
 * when it is not, so a fractional amount is never silently rounded. Separators are `Intl`'s own (often a
 * no-break space, which keeps "Rp 150.000" on one line).
 */
export function formatMoney(amount: unknown, currency: unknown, locale: string): string {
  const value = toAmount(amount, "money: the amount");
  if (typeof currency !== "string" || !/^[A-Za-z]{3}$/.test(currency)) {
    throw new Error(`money: the currency must be a 3-letter ISO code like "USD", got ${describe(currency)}`);
  }
  return formatCurrency(value, currency.toUpperCase(), locale);
}

/** Formats a plain number with the locale's grouping and decimal marks: 1234.5 → "1.234,5" in `pl`. */
export function formatNumber(value: unknown, locale: string, maximumFractionDigits?: number): string {
  const amount = toAmount(value, "number: the value");
  return numberFormat(locale, maximumFractionDigits === undefined ? {} : { maximumFractionDigits }).format(
    amount,
  );
}

/** The `dateStyle` values the `date` helper accepts. */
export const DATE_STYLES = ["short", "medium", "long", "full"] as const;
/** One of {@link DATE_STYLES}. */
export type DateStyle = (typeof DATE_STYLES)[number];

/** Options of {@link formatDate}. */
export interface DateOptions {
  /** `dateStyle` of `Intl.DateTimeFormat`. Defaults to "medium". */
  style?: DateStyle;
  /** Also show the time, with this `timeStyle`. Defaults to no time. */
  time?: DateStyle;
  /** IANA timezone, e.g. "Asia/Jakarta". Defaults to UTC so output never depends on the server. */
  timezone?: string;
}

/**
 * Formats a date (a `Date`, an ISO 8601 string or epoch milliseconds) in a locale and timezone:
 * `formatDate("2024-03-05T20:00:00Z", "pl", { style: "long", timezone: "Asia/Jakarta" })` → "6 marca 2024".
 */
export function formatDate(value: unknown, locale: string, options: DateOptions = {}): string {
  const date =
    value instanceof Date
      ? value
      : typeof value === "string" || typeof value === "number"
        ? new Date(value)
        : null;
  if (!date || Number.isNaN(date.getTime())) {
    throw new Error(
      `date: expected a date or an ISO 8601 string like "2024-03-05T10:00:00Z", got ${describe(value)}`,
    );
  }
  const style = options.style ?? "medium";
  for (const s of [style, options.time]) {
    if (s !== undefined && !(DATE_STYLES as readonly string[]).includes(s)) {
      throw new Error(`date: the style must be one of ${DATE_STYLES.join(", ")}, got ${describe(s)}`);
    }
  }
  const dateOptions: Intl.DateTimeFormatOptions = {
    dateStyle: style,
    ...(options.time ? { timeStyle: options.time } : {}),
    timeZone: options.timezone ?? "UTC",
  };
  return dateTimeFormat(locale, dateOptions).format(date);
}

/** Plural forms keyed by `Intl.PluralRules` category (zero, one, two, few, many, other). */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>>;

/**
 * Picks the plural form for a count and replaces `#` with the formatted count:
 * in `pl`, 1 → "1 produkt", 2 → "2 produkty", 5 → "5 produktów", 22 → "22 produkty".
 * A category the forms lack falls back to `other`.
 */
export function formatPlural(count: unknown, forms: PluralForms, locale: string): string {
  const amount = toAmount(count, "plural: the count");
  const n = Number(amount);
  const category = pluralRules(locale).select(n);
  const form = forms[category] ?? forms.other;
  if (form === undefined) {
    throw new Error(
      `plural: no form for "${category}" (${n} in ${locale}); add ${category}="…" or other="…"`,
    );
  }
  return form.replaceAll("#", formatNumber(amount, locale));
}

/** Checks that a timezone is a valid IANA name, with a message that says what to pass. */
export function assertTimezone(timezone: string): void {
  try {
    // made once per zone (a valid one is kept, an invalid one throws every time): each render checks its zone
    dateTimeFormat("en", { timeZone: timezone });
  } catch {
    throw new Error(`unknown timezone ${JSON.stringify(timezone)}: use an IANA name like "Europe/Warsaw"`);
  }
}
