/**
 * Numbers, money and dates for console pages, through `Intl`, in the staff member's locale and time zone.
 * Missing values (null, undefined) format as "" so a view can show a row whose field is unset; anything else
 * that is not a number or a date is a bug in the page and throws.
 */

import {
  dateTimeFormat,
  displayNames,
  formatCurrency,
  listFormat,
  numberFormat,
  relativeTimeFormat,
} from "../lib/intl.ts";

type Numeric = number | `${number}`;

/** A number, a decimal string ("199.90") or a Prisma `Decimal`, in a form `Intl.NumberFormat` takes exactly. */
function toNumeric(value: unknown, what: string): Numeric {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "bigint") return String(value) as `${number}`;
  const text = typeof value === "object" && value !== null ? String(value) : value;
  if (typeof text === "string" && /^-?\d+(\.\d+)?$/.test(text.trim())) return text.trim() as `${number}`;
  throw new TypeError(
    `${what}: expected a number, got ${typeof value === "string" ? `"${value}"` : typeof value}`,
  );
}

function toDate(value: unknown, what: string): Date {
  const date =
    value instanceof Date
      ? value
      : typeof value === "string" || typeof value === "number"
        ? new Date(value)
        : null;
  if (!date || Number.isNaN(date.getTime()))
    throw new TypeError(`${what}: expected a date, got ${String(value)}`);
  return date;
}

const missing = (value: unknown) => value === null || value === undefined;

/** `1234.5` → "1,234.5" (en), "1.234,5" (id), "1 234,5" (pl). At most `decimals` fraction digits. */
export function formatNumber(value: unknown, locale: string, decimals?: number): string {
  if (missing(value)) return "";
  const options = decimals === undefined ? {} : { maximumFractionDigits: decimals };
  return numberFormat(locale, options).format(toNumeric(value, "number"));
}

/**
 * Money in its currency: `("150000", "IDR", "id")` → "Rp 150.000", `(199.9, "PLN", "pl")` → "199,90 zł".
 * Currencies without minor units show a fraction only when the amount has one, so nothing is rounded away.
 */
export function formatMoney(amount: unknown, currency: unknown, locale: string): string {
  if (missing(amount)) return "";
  if (typeof currency !== "string" || !/^[A-Za-z]{3}$/.test(currency))
    throw new TypeError(`money: expected a 3-letter currency code, got ${String(currency)}`);
  return formatCurrency(toNumeric(amount, "money"), currency.toUpperCase(), locale);
}

/** `dateStyle`/`timeStyle` values. */
export type DateStyle = "short" | "medium" | "long" | "full";

/** A date (`Date`, ISO string or epoch ms) in a time zone: "6 Mar 2024", or with `time` "6 Mar 2024, 03:00". */
export function formatDate(
  value: unknown,
  locale: string,
  timeZone: string,
  style: DateStyle = "medium",
  time?: DateStyle,
): string {
  if (missing(value)) return "";
  const options = { dateStyle: style, timeZone, ...(time && { timeStyle: time }) };
  return dateTimeFormat(locale, options).format(toDate(value, "date"));
}

/** The time of day in a time zone: "15:04", "3:04 PM". */
export function formatTime(
  value: unknown,
  locale: string,
  timeZone: string,
  style: DateStyle = "short",
): string {
  if (missing(value)) return "";
  return dateTimeFormat(locale, { timeStyle: style, timeZone }).format(toDate(value, "time"));
}

const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 86_400_000],
  ["month", 30 * 86_400_000],
  ["week", 7 * 86_400_000],
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];

/** How far a moment is from `now`, in the largest unit that fits: "5 minutes ago", "dalam 2 hari", "wczoraj". */
export function formatRelative(value: unknown, now: number, locale: string): string {
  if (missing(value)) return "";
  const diff = toDate(value, "relative").getTime() - now;
  const [unit, size] = UNITS.find(([, ms]) => Math.abs(diff) >= ms) ?? ["second", 1_000];
  return relativeTimeFormat(locale, { numeric: "auto" }).format(Math.round(diff / size), unit);
}

/** A list of words joined the locale's way: "Admin and Agent", "Admin dan Agen", "Administrator i Konsultant". */
export function formatList(items: readonly string[], locale: string): string {
  return listFormat(locale, { type: "conjunction" }).format(items);
}

/** The fields of a stored postal address (`Customer.address`); any may be missing. */
export interface PostalAddress {
  line1?: string;
  line2?: string;
  city?: string;
  postalCode?: string;
  region?: string;
  country?: string;
}

/** A stored address as it is read: only its string fields, or null when there is none (or it is not an object). */
export function postalAddress(value: unknown): PostalAddress | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const fields = ["line1", "line2", "city", "postalCode", "region", "country"] as const;
  const address: PostalAddress = {};
  for (const field of fields) {
    const text = (value as Record<string, unknown>)[field];
    if (typeof text === "string" && text.trim() !== "") address[field] = text.trim();
  }
  return Object.keys(address).length > 0 ? address : null;
}

/**
 * An address as the lines of an envelope: street, the second line, postal code and city, region, and the
 * country's name in the staff member's language ("Polska", "Indonesia").
 */
export function addressLines(value: unknown, locale: string): string[] {
  const address = postalAddress(value);
  if (!address) return [];
  let country = address.country;
  if (country) {
    try {
      country = displayNames(locale, { type: "region" }).of(country) ?? country;
    } catch {
      // not a region code Intl knows: show it as given
    }
  }
  const town = [address.postalCode, address.city].filter(Boolean).join(" ");
  return [address.line1, address.line2, town, address.region, country].filter(
    (line): line is string => line !== undefined && line !== "",
  );
}
