/**
 * `Intl` formatters made once per process. Building one costs far more than using one (tens of microseconds
 * against one or two): a campaign renders thousands of messages and a console page hundreds of figures with
 * the same few locales, zones and options. Keys are bounded by what callers pass (shipped locales, IANA zones);
 * the map is emptied should it ever grow past a few thousand, so a stream of odd inputs cannot grow it forever.
 */
const formatters = new Map<string, unknown>();
const LIMIT = 5_000;

function memo<T>(key: string, make: () => T): T {
  let made = formatters.get(key) as T | undefined;
  if (made === undefined) {
    made = make();
    if (formatters.size >= LIMIT) formatters.clear();
    formatters.set(key, made);
  }
  return made;
}

export function numberFormat(locale: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return memo(`n\n${locale}\n${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
}

export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return memo(`d\n${locale}\n${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));
}

export function relativeTimeFormat(
  locale: string,
  options: Intl.RelativeTimeFormatOptions,
): Intl.RelativeTimeFormat {
  return memo(`r\n${locale}\n${JSON.stringify(options)}`, () => new Intl.RelativeTimeFormat(locale, options));
}

export function listFormat(locale: string, options: Intl.ListFormatOptions): Intl.ListFormat {
  return memo(`l\n${locale}\n${JSON.stringify(options)}`, () => new Intl.ListFormat(locale, options));
}

export function displayNames(locale: string, options: Intl.DisplayNamesOptions): Intl.DisplayNames {
  return memo(`dn\n${locale}\n${JSON.stringify(options)}`, () => new Intl.DisplayNames(locale, options));
}

export function pluralRules(locale: string): Intl.PluralRules {
  return memo(`p\n${locale}`, () => new Intl.PluralRules(locale));
}

/** A weekday's name (0 = Sunday) in a locale: "Mon", "pon.", "Sen" with `short`. */
export function weekdayName(locale: string, weekday: number, width: "short" | "long" = "short"): string {
  // 7 January 2024 was a Sunday
  return dateTimeFormat(locale, { weekday: width, timeZone: "UTC" }).format(Date.UTC(2024, 0, 7 + weekday));
}

/** A time of day, minutes from midnight (wrapped into one day), as a locale writes it: "9:00 AM", "09.00", "09:00". */
export function clockTime(locale: string, minutes: number): string {
  const wrapped = ((minutes % 1440) + 1440) % 1440;
  return dateTimeFormat(locale, { hour: "numeric", minute: "2-digit", timeZone: "UTC" }).format(
    Date.UTC(2024, 0, 1, 0, wrapped),
  );
}

/**
 * A time zone's name in a locale at an instant, as a person says it: "Central European Time", "Waktu Indonesia
 * Barat", "czas środkowoeuropejski" (CLDR's generic long name); where CLDR has none, the short generic one
 * ("czas: Dżakarta"), else the IANA id.
 */
export function timeZoneName(locale: string, timeZone: string, at: Date): string {
  for (const timeZoneName of ["longGeneric", "shortGeneric", "long"] as const) {
    const part = dateTimeFormat(locale, { timeZone, timeZoneName })
      .formatToParts(at)
      .find((p) => p.type === "timeZoneName")?.value;
    if (part && !/^(GMT|UTC)([+-−]|$)/.test(part)) return part;
  }
  return timeZone;
}

/**
 * An amount in its currency ("USD", upper-cased by the caller), in a locale. Currencies without minor units in
 * use (IDR, JPY, …) show no fraction digits when the amount is whole and two when it is not, so a fractional
 * amount is never silently rounded away.
 */
export function formatCurrency(amount: number | `${number}`, currency: string, locale: string): string {
  const base = { style: "currency", currency } as const;
  const digits = numberFormat(locale, base).resolvedOptions().maximumFractionDigits ?? 2;
  const fractional = typeof amount === "number" ? !Number.isInteger(amount) : /\.\d*[1-9]/.test(amount);
  const fraction = digits === 0 && fractional ? 2 : digits;
  return numberFormat(locale, {
    ...base,
    minimumFractionDigits: fraction,
    maximumFractionDigits: fraction,
  }).format(amount);
}
