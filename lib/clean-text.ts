/**
 * Text from outside, made storable. PostgreSQL refuses U+0000 in `text` and `jsonb`, and a lone UTF-16
 * surrogate in `jsonb` (`\ud800` is invalid there); either used to fail the whole write with a 500. Both carry
 * no meaning in a message, a name or a property, so they are dropped at the edge. Other control characters
 * (tab, newline, escape, …) are kept: PostgreSQL stores them and every view escapes what it shows.
 */

import { createHash } from "node:crypto";

// U+0000, a high surrogate not followed by a low one, a low surrogate not preceded by a high one
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is exactly what this removes
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, "g");

/** `text` without U+0000 and without lone surrogates; the same string when it has neither. */
export function cleanText(text: string): string {
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE_ALL, "") : text;
}

/** Longest id kept as given by {@link cleanId}; PostgreSQL's btree index rows hold at most ~2 700 bytes. */
export const MAX_ID_LENGTH = 500;

/**
 * A platform's id (message id, user id, thread) fit for a unique index: {@link cleanText}, and when longer than
 * {@link MAX_ID_LENGTH} replaced by `sha256:<hex>` of it, so the same long id still finds the same row while
 * no payload can fail an insert with an oversized index entry.
 */
export function cleanId(id: string): string {
  const clean = cleanText(id);
  return clean.length > MAX_ID_LENGTH ? `sha256:${createHash("sha256").update(clean).digest("hex")}` : clean;
}

/** Bounds of {@link cleanJson}. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays: `{}` is 1, `{"a": []}` is 2. */
  maxDepth: number;
  /** Most object keys and array items, counted over the whole value. */
  maxKeys: number;
}

/** The cleaned value, or where it broke a limit (`path` as zod reports it). */
export type CleanJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; path: (string | number)[]; message: string };

/**
 * A JSON value with {@link cleanText} applied to every string and every key, or the first place it breaks
 * `limits`. Safe on any input: it never descends more than `maxDepth + 1` levels, so a body nested 100 000
 * deep is refused instead of overflowing the stack, and a `__proto__` key stays a plain key. A value that is
 * not JSON (a `Date`) is taken as `JSON.stringify` would take it.
 */
export function cleanJson(value: unknown, limits: JsonLimits): CleanJsonResult {
  const budget = { keys: limits.maxKeys, max: limits.maxKeys };
  const path: (string | number)[] = [];
  try {
    return { ok: true, value: clean(value, 0, limits.maxDepth, budget, path) };
  } catch (error) {
    if (!(error instanceof LimitBroken)) throw error;
    return { ok: false, path: error.path, message: error.message };
  }
}

class LimitBroken extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
  ) {
    super(message);
  }
}

function clean(
  value: unknown,
  depth: number,
  maxDepth: number,
  budget: { keys: number; max: number },
  path: (string | number)[],
): unknown {
  const toJson = (value as { toJSON?: unknown } | null | undefined)?.toJSON;
  const node: unknown = typeof toJson === "function" ? toJson.call(value) : value;
  if (typeof node === "string") return cleanText(node);
  if (typeof node !== "object" || node === null) return node;
  if (depth + 1 > maxDepth) {
    throw new LimitBroken(`nested deeper than ${maxDepth} levels of objects and arrays`, [...path]);
  }
  const entries: [string | number, unknown][] = Array.isArray(node)
    ? node.map((item, index) => [index, item])
    : Object.entries(node);
  budget.keys -= entries.length;
  if (budget.keys < 0) throw new LimitBroken(`has more than ${budget.max} keys and items in all`, [...path]);
  const cleaned = entries.map(([key, item]): [string | number, unknown] => {
    path.push(key);
    const out = clean(item, depth + 1, maxDepth, budget, path);
    path.pop();
    return [typeof key === "string" ? cleanText(key) : key, out];
  });
  if (Array.isArray(node)) return cleaned.map(([, item]) => item);
  // fromEntries defines own properties, so "__proto__" stays data
  return Object.fromEntries(cleaned);
}
