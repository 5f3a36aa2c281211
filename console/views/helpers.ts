import type { HelperDelegate, HelperOptions } from "handlebars";
import type { Locale } from "../../lib/channels.ts";
import { bestName, type NameParts } from "../customers/name.ts";
import {
  addressLines,
  type DateStyle,
  formatDate,
  formatMoney,
  formatNumber,
  formatRelative,
  formatTime,
} from "../format.ts";
import { isTextKey, t } from "../i18n.ts";

/** What every console render passes to helpers as Handlebars `@data`. */
export interface ViewData {
  /** The page's language: `@locale`. */
  locale: Locale;
  /** IANA time zone of dates: `@timezone`. */
  timezone: string;
  /** The clock's now, epoch ms, for `relative`: `@now`. */
  now: number;
  /** The CSRF token forms carry (`{{> csrf}}` writes the hidden field): `@csrf`. */
  csrf: string;
  /** The brand's name: `@brand`. */
  brand: string;
}

const STYLES = new Set(["short", "medium", "long", "full"]);

function split(args: unknown[]): { values: unknown[]; options: HelperOptions; data: ViewData } {
  const options = args[args.length - 1] as HelperOptions;
  return { values: args.slice(0, -1), options, data: options.data as ViewData };
}

function style(value: unknown, fallback: DateStyle | undefined, helper: string): DateStyle | undefined {
  if (value === undefined) return fallback;
  if (typeof value === "string" && STYLES.has(value)) return value as DateStyle;
  throw new Error(`${helper}: the style must be short, medium, long or full, got ${String(value)}`);
}

/**
 * The console's Handlebars helpers. Formatting follows `@locale` and `@timezone`; a `tz="Asia/Jakarta"` hash
 * argument shows a date in another zone (a customer's). Results are plain strings, escaped by Handlebars.
 */
export const HELPERS: Readonly<Record<string, HelperDelegate>> = {
  /** `{{t "staff.added" email=user.email}}`: a text of console/i18n.ts in the page's language. */
  t(...args: unknown[]) {
    const { values, options, data } = split(args);
    const key = values[0];
    if (typeof key !== "string" || !isTextKey(key))
      throw new Error(`t: unknown text key ${JSON.stringify(key)}: add it to console/i18n.ts`);
    return t(data.locale, key, options.hash as Record<string, unknown>);
  },
  /** `{{number count}}`, `{{number rate decimals=1}}`. */
  number(...args: unknown[]) {
    const { values, options, data } = split(args);
    const decimals = options.hash["decimals"] as number | undefined;
    return formatNumber(values[0], data.locale, decimals);
  },
  /** `{{money order.total order.currency}}`. */
  money(...args: unknown[]) {
    const { values, data } = split(args);
    return formatMoney(values[0], values[1], data.locale);
  },
  /** `{{date at}}`, `{{date at "long"}}`, `{{date at "short" time="short"}}`, `{{date at tz=customer.timezone}}`. */
  date(...args: unknown[]) {
    const { values, options, data } = split(args);
    const zone = (options.hash["tz"] as string | undefined) || data.timezone;
    return formatDate(
      values[0],
      data.locale,
      zone,
      style(values[1], "medium", "date"),
      style(options.hash["time"], undefined, "date"),
    );
  },
  /** `{{time at}}`: the time of day, `{{time at "medium"}}` with seconds. */
  time(...args: unknown[]) {
    const { values, options, data } = split(args);
    const zone = (options.hash["tz"] as string | undefined) || data.timezone;
    return formatTime(values[0], data.locale, zone, style(values[1], "short", "time"));
  },
  /** `{{relative conversation.lastMessageAt}}`: "5 minutes ago", "5 menit yang lalu", "5 minut temu". */
  relative(...args: unknown[]) {
    const { values, data } = split(args);
    return formatRelative(values[0], data.now, data.locale);
  },
  /** `<time datetime="{{iso at}}">`: a date as ISO 8601, for machines. */
  iso(...args: unknown[]) {
    const { values } = split(args);
    const value = values[0];
    if (value === null || value === undefined) return "";
    return (value instanceof Date ? value : new Date(value as string)).toISOString();
  },
  /** `{{t (concat "role." user.role)}}`: strings joined, for keys built from data. */
  concat(...args: unknown[]) {
    return split(args)
      .values.map((v) => (v === null || v === undefined ? "" : String(v)))
      .join("");
  },
  /** `{{#each (addressLines customer.address)}}`: a postal address as envelope lines, the country named in the page's language. */
  addressLines(...args: unknown[]) {
    const { values, data } = split(args);
    return addressLines(values[0], data.locale);
  },
  /**
   * `{{bestName customer}}`: the best name of a customer in the page's language (their name, else the
   * channel's, their email, handle or phone, else "Visitor from …"): {@link bestName}.
   */
  bestName(...args: unknown[]) {
    const { values, data } = split(args);
    return bestName((values[0] ?? {}) as NameParts, data.locale);
  },
  /** `{{#if (eq role "admin")}}`. */
  eq(...args: unknown[]) {
    const { values } = split(args);
    return values[0] === values[1];
  },
};
