import type { Locale } from "../lib/channels.ts";

export { isLocale, preferredLocale } from "../lib/channels.ts";
export { isTimeZone } from "../lib/zoned-time.ts";

/** Each console language in its own words, for the language switcher. */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = {
  en: "English",
  id: "Bahasa Indonesia",
  pl: "Polski",
};
