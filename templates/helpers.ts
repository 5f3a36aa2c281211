import type { HelperOptions } from "handlebars";
import { type DateStyle, describe, formatDate, formatMoney, formatNumber, formatPlural } from "./format.ts";
import { RenderFault } from "./located.ts";

/** What every render passes to helpers as Handlebars `@data`: `@locale`, `@timezone`, `@subject`, … */
export interface RenderData {
  /** The locale the template is written in, which is the locale numbers and dates are formatted in. */
  locale: string;
  /** IANA timezone for dates. Undefined means UTC. */
  timezone: string | undefined;
  /** The rendered subject (email only, else ""), for the layout's `<title>`. */
  subject: string;
  /** The rendered preheader (email only, else ""). */
  preheader: string;
  /** The channel being rendered for. */
  channel: string;
}

type Helper = (...args: unknown[]) => unknown;

function optionsOf(args: unknown[]): HelperOptions & { loc?: { start: { line: number } } } {
  return args[args.length - 1] as HelperOptions & { loc?: { start: { line: number } } };
}

/** Runs a helper body so that its errors name the line of the template that called it. */
function guarded(
  name: string,
  body: (args: unknown[], options: HelperOptions, data: RenderData) => unknown,
): Helper {
  return (...all) => {
    const options = optionsOf(all);
    try {
      return body(all.slice(0, -1), options, options.data as RenderData);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RenderFault(
        message.startsWith(`${name}:`) ? message : `${name}: ${message}`,
        options.loc?.start.line,
      );
    }
  };
}

function arity(name: string, args: unknown[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) {
    throw new Error(`${name}: expected ${usage}, got ${args.length} argument(s)`);
  }
}

function toNumber(value: unknown, what: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isFinite(n))
    throw new Error(`${what} must be a number, got ${describe(value)}`);
  return n;
}

/**
 * A text a campaign gives in one language (`"Winter sale"`) or in several (`{ en: "Winter sale", pl: "Zimowa
 * wyprzedaż" }`): the string itself, else the entry for `locale`, else the English one.
 */
function localizedText(value: unknown, locale: string): string {
  if (typeof value === "string") return value;
  const usage = 'a text, or one per language like { en: "Winter sale", pl: "Zimowa wyprzedaż" }';
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`expected ${usage}, got ${describe(value)}`);
  }
  const texts = value as Record<string, unknown>;
  const key = texts[locale] !== undefined ? locale : "en";
  const text = texts[key];
  if (typeof text === "string") return text;
  if (text !== undefined) throw new Error(`expected ${usage}: the "${key}" entry is ${describe(text)}`);
  const wanted = locale === "en" ? '"en"' : `"${locale}" or "en"`;
  const given = Object.keys(texts).join(", ") || "none";
  throw new Error(`expected ${usage}: there is no ${wanted} text (languages given: ${given})`);
}

/**
 * The helpers every template can use, keyed by name. All formatting follows the render's locale (`@locale`) and
 * timezone (`@timezone`); see templates/README.md for examples.
 */
export const HELPERS: Readonly<Record<string, Helper>> = {
  money: guarded("money", (args, _options, data) => {
    arity("money", args, 2, 2, "{{money amount currency}}");
    return formatMoney(args[0], args[1], data.locale);
  }),
  number: guarded("number", (args, options, data) => {
    arity("number", args, 1, 1, "{{number value}} (optionally decimals=2)");
    const decimals = options.hash["decimals"];
    return formatNumber(
      args[0],
      data.locale,
      decimals === undefined ? undefined : toNumber(decimals, "decimals"),
    );
  }),
  date: guarded("date", (args, options, data) => {
    arity("date", args, 1, 2, '{{date value}} or {{date value "long"}} (optionally time="short")');
    return formatDate(args[0], data.locale, {
      style: (args[1] as DateStyle | undefined) ?? "medium",
      time: options.hash["time"] as DateStyle | undefined,
      timezone: data.timezone,
    });
  }),
  plural: guarded("plural", (args, options, data) => {
    arity("plural", args, 1, 1, '{{plural count one="# item" other="# items"}}');
    return formatPlural(args[0], options.hash, data.locale);
  }),
  localized: guarded("localized", (args, _options, data) => {
    arity("localized", args, 1, 1, "{{localized text}}");
    return localizedText(args[0], data.locale);
  }),
  default: guarded("default", (args) => {
    arity("default", args, 2, 2, '{{default customer.name "there"}}');
    const [value, fallback] = args;
    const text = value === undefined || value === null ? "" : String(value).trim();
    return text === "" ? fallback : value;
  }),
  eq: guarded("eq", (args) => {
    arity("eq", args, 2, 2, "(eq a b)");
    return args[0] === args[1];
  }),
  concat: guarded("concat", (args) =>
    args.map((a) => (a === undefined || a === null ? "" : String(a))).join(""),
  ),
  sum: guarded("sum", (args) => {
    arity("sum", args, 1, 2, '(sum list) or (sum list "field")');
    const [list, field] = args;
    if (!Array.isArray(list)) throw new Error(`expected a list, got ${describe(list)}`);
    return list.reduce<number>((total, entry, i) => {
      const value = typeof field === "string" ? (entry as Record<string, unknown> | null)?.[field] : entry;
      return total + toNumber(value, `entry ${i + 1}${typeof field === "string" ? `'s ${field}` : ""}`);
    }, 0);
  }),
  multiply: guarded("multiply", (args) => {
    arity("multiply", args, 2, 2, "(multiply a b)");
    return toNumber(args[0], "the first value") * toNumber(args[1], "the second value");
  }),
};
