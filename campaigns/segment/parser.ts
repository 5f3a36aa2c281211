import { didYouMean } from "../suggest.ts";
import { type CallArg, COMPARE_OPS, type CompareOp, type Expr, type FieldRef, type Literal } from "./ast.ts";
import { isEngagementMetric } from "./engagement.ts";
import { ExpressionFailure, type ExpressionIssue } from "./issue.ts";
import { type Token, tokenize } from "./lexer.ts";
import { CURRENCY_CODE, isMoneyField } from "./money.ts";

/** Words with a meaning of their own, in any case: never field names. */
const KEYWORDS = new Set(["and", "or", "not", "in", "contains", "is", "null", "true", "false", "now"]);

/** `segment(name)`, `consented(channel)`, `opted_out(channel)`. */
const FUNCTIONS = ["segment", "consented", "opted_out"] as const;

const EXAMPLE_CONDITION = "like orders >= 2, segment(vip) or consented(email)";

/**
 * Deepest nesting of parentheses and `not` an expression may have. No audience needs more, and the checker,
 * the SQL and the predicate each recurse once per level: 10 000 parentheses would overflow the stack.
 */
export const MAX_NESTING = 32;

/**
 * Most words, values and symbols an expression may have. Past it, an audience is a list that belongs in data
 * (an attribute, a segment), and its SQL would pass PostgreSQL's limit of 65 535 bound values.
 */
export const MAX_TOKENS = 5_000;

/** How a token is named back in a message: `"and"`, `")"`, or nothing at the end. */
function got(token: Token): string {
  return token.kind === "end" ? "" : `, got ${JSON.stringify(token.text)}`;
}

function valueHint(after: string): string {
  if (after === "contains") return 'like "gmail.com"';
  if (after === "=" || after === "!=") return 'like 2, "ID" or true';
  if (after === "[" || after === ",") return 'like "ID" or 2';
  return "like 60 or now - 30d";
}

class Parser {
  #at = 0;
  #depth = 0;
  constructor(readonly tokens: Token[]) {}

  /** Parses one more level of nesting, refused past {@link MAX_NESTING}. */
  nested<T>(col: number, parse: () => T): T {
    if (this.#depth >= MAX_NESTING) {
      throw new ExpressionFailure(
        col,
        `nested deeper than ${MAX_NESTING} levels of parentheses and not: write it flatter, as conditions joined by and / or`,
      );
    }
    this.#depth++;
    const parsed = parse();
    this.#depth--;
    return parsed;
  }

  get peek(): Token {
    return this.tokens[this.#at]!;
  }

  next(): Token {
    const token = this.peek;
    if (token.kind !== "end") this.#at++;
    return token;
  }

  isWord(word: string, token = this.peek): boolean {
    return token.kind === "word" && token.text.toLowerCase() === word;
  }

  isSymbol(symbol: string, token = this.peek): boolean {
    return token.kind === "symbol" && token.text === symbol;
  }

  expectSymbol(symbol: string, message: string): Token {
    if (!this.isSymbol(symbol)) throw new ExpressionFailure(this.peek.col, `${message}${got(this.peek)}`);
    return this.next();
  }

  expression(): Expr {
    const items = [this.conjunction()];
    while (this.isWord("or")) {
      this.next();
      items.push(this.conjunction());
    }
    return items.length === 1 ? items[0]! : { kind: "or", items };
  }

  conjunction(): Expr {
    const items = [this.unary()];
    while (this.isWord("and")) {
      this.next();
      items.push(this.unary());
    }
    return items.length === 1 ? items[0]! : { kind: "and", items };
  }

  unary(): Expr {
    if (this.isWord("not")) {
      const col = this.next().col;
      return { kind: "not", item: this.nested(col, () => this.unary()), col };
    }
    return this.primary();
  }

  primary(): Expr {
    const token = this.peek;
    if (this.isSymbol("(")) {
      this.next();
      const inner = this.nested(token.col, () => this.expression());
      this.expectSymbol(")", `expected ) to close the ( at column ${token.col}`);
      return inner;
    }
    if (token.kind !== "word" || KEYWORDS.has(token.text.toLowerCase())) {
      const previous = this.tokens[this.#at - 1];
      const after = previous ? ` after ${JSON.stringify(previous.text)}` : "";
      throw new ExpressionFailure(
        token.col,
        `expected a condition${after}, ${EXAMPLE_CONDITION}${got(token)}`,
      );
    }
    this.next();
    const lower = token.text.toLowerCase();
    if (isMoneyField(lower) && this.isSymbol("(")) return this.condition(this.currencyOf(token));
    if (isEngagementMetric(token.text) && this.isSymbol("(")) return this.condition(this.argsOf(token));
    if ((FUNCTIONS as readonly string[]).includes(lower) || this.isSymbol("(")) {
      return this.call(token, lower);
    }
    return this.condition({ name: token.text, col: token.col });
  }

  call(name: Token, lower: string): Expr {
    if (!(FUNCTIONS as readonly string[]).includes(lower)) {
      const hint = didYouMean(lower, FUNCTIONS, ": expected segment(…), consented(…) or opted_out(…)");
      throw new ExpressionFailure(name.col, `unknown function '${name.text}'${hint}`);
    }
    const what = lower === "segment" ? "a segment name" : "a channel";
    const example = lower === "segment" ? "segment(vip)" : `${lower}(email)`;
    this.expectSymbol("(", `expected ( after ${lower}, like ${example}`);
    const arg = this.peek;
    if (arg.kind !== "word") {
      throw new ExpressionFailure(arg.col, `expected ${what} in ${lower}( ), like ${example}${got(arg)}`);
    }
    this.next();
    this.expectSymbol(")", `expected ) after ${lower}(${arg.text}`);
    if (lower === "segment") return { kind: "segment", name: arg.text, col: name.col, nameCol: arg.col };
    const status = lower === "consented" ? "granted" : "denied";
    return { kind: "consent", status, channel: arg.text, col: name.col, channelCol: arg.col };
  }

  /** `total_spent("PLN")`: the field read in one currency. */
  currencyOf(name: Extract<Token, { kind: "word" }>): FieldRef {
    const example = `${name.text}("PLN")`;
    this.next();
    const arg = this.peek;
    if (arg.kind !== "string") {
      throw new ExpressionFailure(
        arg.col,
        `expected a currency in double quotes, like ${example}${got(arg)}`,
      );
    }
    this.next();
    this.expectSymbol(")", `expected ) after ${name.text}(${arg.text}`);
    return { name: name.text, col: name.col, currency: { code: arg.value, col: arg.col } };
  }

  /** `opened(30d, "email")`: the arguments as written, each checked by the checker. */
  argsOf(name: Extract<Token, { kind: "word" }>): FieldRef {
    this.next();
    const args: CallArg[] = [];
    while (!this.isSymbol(")")) {
      const arg = this.peek;
      if (arg.kind === "end") {
        throw new ExpressionFailure(arg.col, `expected ) to close ${name.text}(, like ${name.text}(30d)`);
      }
      this.next();
      if (arg.kind === "duration") args.push({ kind: "duration", ms: arg.ms, text: arg.text, col: arg.col });
      else if (arg.kind === "string")
        args.push({ kind: "string", value: arg.value, text: arg.text, col: arg.col });
      else args.push({ kind: "other", text: arg.text, col: arg.col });
      if (this.isSymbol(")")) break;
      this.expectSymbol(",", `expected , or ) after ${arg.text} in ${name.text}(…)`);
    }
    this.next();
    return { name: name.text, col: name.col, args };
  }

  /** A number, or an amount when a currency code follows it: `100 EUR`. */
  amount(value: number, text: string, col: number): Literal {
    const next = this.peek;
    if (next.kind !== "word" || !CURRENCY_CODE.test(next.text) || KEYWORDS.has(next.text.toLowerCase())) {
      return { kind: "number", value, text, col };
    }
    this.next();
    return { kind: "money", value, currency: next.text, text: `${text} ${next.text}`, col };
  }

  condition(field: FieldRef): Expr {
    const op = this.peek;
    if (op.kind === "symbol" && (COMPARE_OPS as readonly string[]).includes(op.text)) {
      this.next();
      return { kind: "compare", field, op: op.text as CompareOp, opCol: op.col, value: this.value(op.text) };
    }
    if (this.isWord("in")) {
      this.next();
      return { kind: "in", field, negated: false, opCol: op.col, values: this.list("in") };
    }
    if (this.isWord("not")) {
      this.next();
      if (!this.isWord("in")) {
        throw new ExpressionFailure(
          this.peek.col,
          `expected in after not, as in ${field.name} not in [...]; to negate a condition put not before it: not ${field.name} = ...${got(this.peek)}`,
        );
      }
      this.next();
      return { kind: "in", field, negated: true, opCol: op.col, values: this.list("not in") };
    }
    if (this.isWord("contains")) {
      this.next();
      return { kind: "contains", field, opCol: op.col, value: this.value("contains") };
    }
    if (this.isWord("is")) {
      this.next();
      const negated = this.isWord("not");
      if (negated) this.next();
      const said = negated ? "is not" : "is";
      if (!this.isWord("null")) {
        throw new ExpressionFailure(
          this.peek.col,
          `expected null after "${said}", as in ${field.name} ${said} null${got(this.peek)}`,
        );
      }
      this.next();
      return { kind: "is_null", field, negated, opCol: op.col };
    }
    throw new ExpressionFailure(
      op.col,
      `expected an operator after ${field.name}: =, !=, <, <=, >, >=, in, not in, contains or is null${got(op)}`,
    );
  }

  list(after: string): Literal[] {
    this.expectSymbol("[", `expected a list after ${after}, like ["ID", "PL"]`);
    const values: Literal[] = [];
    if (this.isSymbol("]")) {
      throw new ExpressionFailure(
        this.peek.col,
        'the list is empty: put at least one value in [ ], like ["ID"]',
      );
    }
    let separator = "[";
    for (;;) {
      values.push(this.value(separator));
      if (this.isSymbol("]")) break;
      this.expectSymbol(",", "expected , or ] after a value in the list");
      separator = ",";
    }
    this.next();
    return values;
  }

  value(after: string): Literal {
    const token = this.peek;
    const expectedValue = `expected a value after ${JSON.stringify(after)}, ${valueHint(after)}`;
    switch (token.kind) {
      case "number":
        this.next();
        return this.amount(token.value, token.text, token.col);
      case "string":
        this.next();
        return { kind: "string", value: token.value, text: token.text, col: token.col };
      case "duration":
        throw new ExpressionFailure(
          token.col,
          `a duration like ${token.text} goes after now - or now +: write now - ${token.text}`,
        );
      case "symbol":
        if (token.text === "-" && this.tokens[this.#at + 1]?.kind === "number") {
          this.next();
          const number = this.next() as Extract<Token, { kind: "number" }>;
          return this.amount(-number.value, `-${number.text}`, token.col);
        }
        throw new ExpressionFailure(token.col, `${expectedValue}${got(token)}`);
      case "end":
        throw new ExpressionFailure(token.col, expectedValue);
      case "word":
        return this.wordValue(token, expectedValue);
    }
  }

  wordValue(token: Extract<Token, { kind: "word" }>, expectedValue: string): Literal {
    const lower = token.text.toLowerCase();
    if (lower === "true" || lower === "false") {
      this.next();
      return { kind: "boolean", value: lower === "true", text: token.text, col: token.col };
    }
    if (lower === "null") {
      throw new ExpressionFailure(
        token.col,
        'null only goes in "is null" and "is not null", like country is null',
      );
    }
    if (KEYWORDS.has(lower) && lower !== "now") {
      throw new ExpressionFailure(token.col, `${expectedValue}${got(token)}`);
    }
    if (lower !== "now") {
      throw new ExpressionFailure(
        token.col,
        `${expectedValue}, got ${token.text}: put text in double quotes, like ${JSON.stringify(token.text)}`,
      );
    }
    this.next();
    const sign = this.peek;
    if (!this.isSymbol("-") && !this.isSymbol("+")) {
      return { kind: "now", offsetMs: 0, text: token.text, col: token.col };
    }
    this.next();
    const amount = this.peek;
    if (amount.kind === "number") {
      throw new ExpressionFailure(
        amount.col,
        `${amount.text} needs a unit: write ${amount.text}d (or s, m, h, w) after "now ${sign.text}"`,
      );
    }
    if (amount.kind !== "duration") {
      throw new ExpressionFailure(
        amount.col,
        `expected a duration after "now ${sign.text}", like 30d or 2h${got(amount)}`,
      );
    }
    this.next();
    const offsetMs = sign.text === "-" ? -amount.ms : amount.ms;
    return { kind: "now", offsetMs, text: `${token.text} ${sign.text} ${amount.text}`, col: token.col };
  }

  done(): void {
    const token = this.peek;
    if (token.kind === "end") return;
    if (this.isSymbol(")")) {
      throw new ExpressionFailure(token.col, 'unmatched ")": remove it, or add the ( it closes');
    }
    throw new ExpressionFailure(token.col, `expected and or or between conditions${got(token)}`);
  }
}

/** A parsed expression, or its first syntax error. */
export type ParseResult = { ok: true; expr: Expr } | { ok: false; issue: ExpressionIssue };

/**
 * Parses a segment expression (`segment(vip) or (orders >= 2 and country in ["ID", "PL"])`). Fields, types and
 * segment names are not checked here: see `checkExpression`.
 */
export function parseExpression(source: string): ParseResult {
  try {
    if (source.trim() === "") {
      return { ok: false, issue: { col: 1, message: `expected a condition, ${EXAMPLE_CONDITION}` } };
    }
    const tokens = tokenize(source, MAX_TOKENS);
    if (tokens.length > MAX_TOKENS + 1) {
      const message = `longer than ${MAX_TOKENS} words, values and symbols: split it into named segments in segments.yaml`;
      return { ok: false, issue: { col: tokens[MAX_TOKENS]!.col, message } };
    }
    const parser = new Parser(tokens);
    const expr = parser.expression();
    parser.done();
    return { ok: true, expr };
  } catch (error) {
    if (error instanceof ExpressionFailure)
      return { ok: false, issue: { col: error.col, message: error.message } };
    throw error;
  }
}
