/**
 * How many SMS segments a text takes, as carriers count them (3GPP TS 23.038 and 23.040).
 *
 * A text of the GSM 7-bit default alphabet only goes as GSM-7: 160 characters in one SMS, else 153 a segment
 * (7 septets of each go to the concatenation header). The extension table's characters (`^ { } \ [ ~ ] | €`
 * and the form feed) take two septets each (an escape and the character), and a segment never splits one.
 * Any other character (an emoji, `ą`, `ł`, a curly quote) makes the whole text UCS-2: 70 UTF-16 code units
 * in one SMS, else 67 a segment, a surrogate pair never split.
 */

/** The GSM 7-bit default alphabet (one septet each). */
const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
/** The extension table: an escape septet and the character, two septets each. */
const GSM7_EXTENSION = new Set("\f^{}\\[~]|€");

/** A text's encoding and size in SMS terms. */
export interface SmsSegments {
  encoding: "GSM-7" | "UCS-2";
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
  /** Segments it is sent in: 1 up to 160 septets or 70 code units; 0 for an empty text. */
  segments: number;
}

const LIMITS = {
  "GSM-7": { single: 160, part: 153 },
  "UCS-2": { single: 70, part: 67 },
} as const;

/** The encoding, size and segment count of `text` (see the module comment for the rules). */
export function smsSegments(text: string): SmsSegments {
  const chars = [...text];
  const gsm = chars.every((c) => GSM7_BASIC.has(c) || GSM7_EXTENSION.has(c));
  const encoding = gsm ? "GSM-7" : "UCS-2";
  // each character's size: septets in GSM-7, UTF-16 code units in UCS-2 (2 for a surrogate pair)
  const sizes = chars.map((c) => (gsm ? (GSM7_EXTENSION.has(c) ? 2 : 1) : c.length));
  const units = sizes.reduce((sum, size) => sum + size, 0);
  const { single, part } = LIMITS[encoding];
  if (units === 0) return { encoding, units, segments: 0 };
  if (units <= single) return { encoding, units, segments: 1 };
  // concatenated: fill each segment, never splitting an escaped character or a surrogate pair
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments += 1;
      used = 0;
    }
    used += size;
  }
  return { encoding, units, segments };
}
