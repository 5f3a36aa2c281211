import { isLosslessNumber, parse } from "lossless-json";
import { cleanJson } from "../../lib/clean-text.ts";
import { JSON_BODY_LIMITS } from "../../lib/http.ts";

/** Keys whose numbers are identifiers: kept as their digits, never through `Number`. */
function isIdKey(key: string): boolean {
  return key === "id" || key.endsWith("_id") || key === "order_number";
}

/**
 * Parses a shop webhook's raw body with every id exact: a number under an id key (`id`, `*_id`,
 * `order_number`) becomes the string of its digits as written, so Shopify's 64-bit ids past 2^53
 * (820982911946154508) are not rounded as `JSON.parse` rounds them. Other numbers become `number`s, as with
 * `JSON.parse`, and a repeated key keeps its last value, as `JSON.parse` does. Strings are cleaned and the
 * body bounded as every JSON body is (`readJsonBody`). Throws on text that is not JSON or breaks the bounds.
 */
export function parseExactIds(raw: Buffer | string): unknown {
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : raw;
  const value = parse(
    text,
    (key, value) => {
      if (!isLosslessNumber(value)) return value;
      return isIdKey(key) && /^\d+$/.test(value.value) ? value.value : Number(value.value);
    },
    { onDuplicateKey: ({ newValue }) => newValue },
  );
  const cleaned = cleanJson(value, JSON_BODY_LIMITS);
  if (!cleaned.ok) throw new SyntaxError(`JSON body refused: it ${cleaned.message}`);
  return cleaned.value;
}
