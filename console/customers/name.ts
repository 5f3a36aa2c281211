import type { Locale } from "../../lib/channels.ts";
import { displayNames } from "../../lib/intl.ts";
import { t } from "../i18n.ts";

/**
 * What the console may know about a customer to name them. Every field is optional: a page passes what it has
 * (a customer row, an inbox row with the channel identity's name and handle, a panel).
 */
export interface NameParts {
  /** The customer's own name (`Customer.name`). */
  name?: string | null;
  /** How the channel names them (`Identity.displayName`: a Telegram first name, an X display name). */
  displayName?: string | null;
  email?: string | null;
  /** A channel handle, without the `@`. */
  handle?: string | null;
  phone?: string | null;
  /** The city of their postal address (or the address itself, as the panel has it). */
  city?: string | null;
  address?: { city?: string | null } | null;
  /** ISO 3166-1 alpha-2. */
  country?: string | null;
  /** The customer's language (BCP 47). */
  locale?: string | null;
  /** Their identities, as customer lists have them: the first name or handle there, when none is given above. */
  identities?: ReadonlyArray<{ displayName?: string | null; handle?: string | null }>;
}

/**
 * The best name the console can show for a customer, in the staff member's language: their name, else the
 * channel's name for them, else their email, `@handle` or phone, else "Visitor from <city or country>", else
 * "Visitor speaking <language>". Never empty: every page that names a customer uses this one function.
 */
export function bestName(parts: NameParts, locale: Locale): string {
  const displayName = parts.displayName ?? parts.identities?.find((i) => i.displayName?.trim())?.displayName;
  const known = [parts.name, displayName, parts.email].map((v) => v?.trim()).find(Boolean);
  if (known) return known;
  const handle = (parts.handle ?? parts.identities?.find((i) => i.handle?.trim())?.handle)
    ?.trim()
    .replace(/^@/, "");
  if (handle) return `@${handle}`;
  if (parts.phone?.trim()) return parts.phone.trim();
  const place = (parts.city ?? parts.address?.city)?.trim() || regionName(parts.country, locale);
  if (place) return t(locale, "inbox.visitorFrom", { place });
  const language = languageName(parts.locale, locale);
  return language ? t(locale, "inbox.visitorSpeaking", { language }) : t(locale, "inbox.visitor");
}

function regionName(country: string | null | undefined, locale: Locale): string | undefined {
  if (!country || !/^[A-Za-z]{2}$/.test(country)) return undefined;
  return displayNames(locale, { type: "region" }).of(country.toUpperCase());
}

function languageName(language: string | null | undefined, locale: Locale): string | undefined {
  if (!language) return undefined;
  try {
    return displayNames(locale, { type: "language" }).of(language);
  } catch {
    return undefined;
  }
}

/** The city of a stored postal address (JSON), if it has one. */
export function cityOf(address: unknown): string | null {
  const city = (address as { city?: unknown } | null)?.city;
  return typeof city === "string" ? city : null;
}
