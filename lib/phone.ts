import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

/** A phone number in E.164: `+`, a country code and the number, 7–15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * A phone number in E.164, as the brand's own data gives it (imports, staff's edits): national numbers are read
 * in `region`; `48601234567` (a lost `+`) is read as international. Undefined when it is not a valid number.
 */
export function toE164(value: string, region: CountryCode | undefined): string | undefined {
  // already E.164: taken as the events API takes it (its schema checks the same pattern), without a parse
  if (E164.test(value)) return value;
  const parsed = parsePhoneNumberFromString(value, region ? { defaultCountry: region } : undefined);
  if (parsed?.isValid()) return parsed.number;
  const digits = value.replace(/\D/g, "");
  if (!value.trim().startsWith("+") && digits.length >= 8) {
    const international = parsePhoneNumberFromString(`+${digits}`);
    if (international?.isValid()) return international.number;
  }
  return undefined;
}
