import { isLosslessNumber, parse } from "lossless-json";

/** Keys whose numbers are identifiers: kept as their digits, never through `Number`. */
function isIdKey(key: string): boolean {
  return key === "id" || key.endsWith("_id") || key === "order_number";
}

/**
 * Parses a shop webhook's raw body with every id exact: a number under an id key (`id`, `*_id`,
 * `order_number`) becomes the string of its digits as written, so Shopify's 64-bit ids past 2^53
 * (820982911946154508) are not rounded as `JSON.parse` rounds them. Other numbers become `number`s, as with
 * `JSON.parse`, and a repeated key keeps its last value, as `JSON.parse` does. Throws a SyntaxError on text
 * that is not JSON.
 */
export function parseExactIds(raw: Buffer | string): unknown {
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : raw;
  return parse(
    text,
    (key, value) => {
      if (!isLosslessNumber(value)) return value;
      return isIdKey(key) && /^\d+$/.test(value.value) ? value.value : Number(value.value);
    },
    { onDuplicateKey: ({ newValue }) => newValue },
  );
}
