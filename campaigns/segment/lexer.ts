import { parseDuration } from "../duration.ts";
import { ExpressionFailure } from "./issue.ts";

/** One token of a segment expression. `col` is 1-based, `end` the 0-based offset just after it. */
export type Token =
  | { kind: "word"; text: string; col: number; end: number }
  | { kind: "number"; value: number; text: string; col: number; end: number }
  | { kind: "duration"; ms: number; text: string; col: number; end: number }
  | { kind: "string"; value: string; text: string; col: number; end: number }
  | { kind: "symbol"; text: SymbolText; col: number; end: number }
  | { kind: "end"; text: ""; col: number; end: number };

/** Punctuation and operators, longest first so `<=` wins over `<`. */
const SYMBOLS = ["<=", ">=", "!=", "=", "<", ">", "(", ")", "[", "]", ",", "+", "-"] as const;
export type SymbolText = (typeof SYMBOLS)[number];

/** What marketers type from other languages, and what to write instead. */
const FOREIGN: Record<string, string> = {
  "==": "use = to compare, not ==",
  "<>": "use != for 'not equal'",
  "&&": "use and instead of &&",
  "||": "use or instead of ||",
  "!": "use not instead of !, or != for 'not equal'",
  "'": 'put text in double quotes, like "ID"',
};

// A word may hold dots (attributes.tier) and inner dashes (segment(new-customers)).
const WORD = /[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]*)*/y;
const NOW = /now(?![A-Za-z0-9_])/iy;
const NUMBER = /\d+(?:\.\d+)?/y;
const UNIT = /[A-Za-z]+/y;

function match(pattern: RegExp, source: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0];
}

function readString(source: string, start: number): Token {
  let value = "";
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"')
      return { kind: "string", value, text: source.slice(start, i + 1), col: start + 1, end: i + 1 };
    if (ch === "\\") {
      const next = source[i + 1];
      if (next !== '"' && next !== "\\") {
        const shown = next === undefined ? "\\" : `\\${next}`;
        throw new ExpressionFailure(i + 1, `unknown escape ${shown} in text: only \\" and \\\\ are allowed`);
      }
      value += next;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  throw new ExpressionFailure(start + 1, 'text is missing its closing ": add " at its end');
}

function readNumber(source: string, start: number): Token {
  const digits = match(NUMBER, source, start)!;
  const after = start + digits.length;
  if (source[after] === ".") {
    throw new ExpressionFailure(after + 1, `expected digits after "${digits}.", like ${digits}.5`);
  }
  const unit = match(UNIT, source, after);
  if (unit === undefined) {
    return { kind: "number", value: Number(digits), text: digits, col: start + 1, end: after };
  }
  const text = digits + unit;
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ExpressionFailure(
      start + 1,
      `"${text}" is neither a number nor a duration: put a space after ${digits}, or write a duration as a whole number and one unit s, m, h, d or w, like 30d`,
    );
  }
  return { kind: "duration", ms, text, col: start + 1, end: after + unit.length };
}

/**
 * Splits a segment expression into tokens, ending with an `end` token.
 * @param limit Stop reading after this many tokens (the parser refuses more). Defaults to no limit.
 * @throws ExpressionFailure at the first character that starts no token.
 */
export function tokenize(source: string, limit = Number.POSITIVE_INFINITY): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length && tokens.length <= limit) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"') {
      const token = readString(source, i);
      tokens.push(token);
      i = token.end;
      continue;
    }
    if (/\d/.test(ch)) {
      const token = readNumber(source, i);
      tokens.push(token);
      i = token.end;
      continue;
    }
    // `now-30d` is now minus 30 days, not a word with a dash.
    const word = match(NOW, source, i) ?? match(WORD, source, i);
    if (word !== undefined) {
      tokens.push({ kind: "word", text: word, col: i + 1, end: i + word.length });
      i += word.length;
      continue;
    }
    // The longest match wins: `!=` is an operator, `!` alone a habit from elsewhere.
    const symbol = SYMBOLS.find((s) => source.startsWith(s, i));
    const foreign = Object.keys(FOREIGN).find((f) => source.startsWith(f, i));
    if (foreign !== undefined && foreign.length >= (symbol?.length ?? 0)) {
      throw new ExpressionFailure(i + 1, FOREIGN[foreign]!);
    }
    if (symbol === undefined) {
      throw new ExpressionFailure(i + 1, `unexpected character ${JSON.stringify(ch)}`);
    }
    tokens.push({ kind: "symbol", text: symbol, col: i + 1, end: i + symbol.length });
    i += symbol.length;
  }
  tokens.push({ kind: "end", text: "", col: source.length + 1, end: source.length });
  return tokens;
}
