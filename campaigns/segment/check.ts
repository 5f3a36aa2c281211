import { SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { didYouMean } from "../suggest.ts";
import type { CompareOp, Expr, FieldRef, Literal } from "./ast.ts";
import type { Condition, Instant, Operand } from "./condition.ts";
import { ONE_DAY_MS, parseDateLiteral } from "./dates.ts";
import { ENGAGEMENT_METRICS, isEngagementMetric } from "./engagement.ts";
import { engagementRef } from "./engagement-check.ts";
import { ATTRIBUTE_KEY, ATTRIBUTE_PREFIX, FIELDS, type ScalarField, type SetField } from "./fields.ts";
import type { ExpressionIssue } from "./issue.ts";
import {
  baseOnly,
  CURRENCY_CODE,
  isMoneyField,
  MONEY_FIELDS,
  type MoneyContext,
  type MoneyField,
} from "./money.ts";

/** What `segment(name)` refers to: its condition, nothing to say (already reported elsewhere), or a problem. */
export type SegmentRef =
  | { kind: "found"; condition: Condition }
  | { kind: "skip" }
  | { kind: "error"; message: string };

/** Resolves segment names for {@link checkExpression}. */
export type SegmentLookup = (name: string) => SegmentRef;

type Resolved =
  | { kind: "scalar"; field: ScalarField; operand: Operand }
  | { kind: "set"; field: SetField }
  | { kind: "attribute"; key: string };

const DATE_EXAMPLE = 'now - 30d or a date like "2026-01-31"';
const FIELD_NAMES = [...FIELDS.keys(), ...MONEY_FIELDS, ...ENGAGEMENT_METRICS];
const FIELD_LIST = `${FIELD_NAMES.join(", ")} or attributes.<key>`;

function unknownValue(kind: string, value: string, allowed: readonly string[]): string {
  return `unknown ${kind} '${value}'${didYouMean(value, allowed, `: expected one of ${allowed.join(", ")}`)}`;
}

class Checker {
  readonly issues: ExpressionIssue[] = [];
  constructor(
    readonly lookup: SegmentLookup,
    readonly money: MoneyContext,
  ) {}

  report(col: number, message: string): undefined {
    this.issues.push({ col, message });
    return undefined;
  }

  check(expr: Expr): Condition | undefined {
    switch (expr.kind) {
      case "and":
      case "or": {
        // Check every branch, even after a bad one: the marketer sees all the problems at once.
        const items = expr.items.map((item) => this.check(item));
        return items.every((item) => item !== undefined) ? { kind: expr.kind, items } : undefined;
      }
      case "not": {
        const item = this.check(expr.item);
        return item && { kind: "not", item };
      }
      case "segment": {
        const ref = this.lookup(expr.name);
        if (ref.kind === "error") return this.report(expr.nameCol, ref.message);
        return ref.kind === "found" ? ref.condition : undefined;
      }
      case "consent":
        // consent exists only where Rapport sends (never phone)
        if (!(SENDING_CHANNEL_NAMES as readonly string[]).includes(expr.channel)) {
          return this.report(expr.channelCol, unknownValue("channel", expr.channel, SENDING_CHANNEL_NAMES));
        }
        return { kind: "consent", channel: expr.channel, status: expr.status };
      case "compare":
        return this.compare(expr.field, expr.op, expr.opCol, expr.value);
      case "in":
        return this.in(expr.field, expr.values, expr.negated, expr.opCol);
      case "contains":
        return this.contains(expr.field, expr.value, expr.opCol);
      case "is_null":
        return this.isNull(expr.field, expr.negated, expr.opCol);
    }
  }

  resolve(ref: FieldRef): Resolved | undefined {
    if (isMoneyField(ref.name)) {
      return this.report(
        ref.col,
        `${ref.name} is money: compare it with =, !=, <, <=, > or >=, like ${ref.name} > 100 ${this.money.base}`,
      );
    }
    if (isEngagementMetric(ref.name)) {
      const checked = engagementRef(ref, ref.name);
      if (checked.kind === "error") return this.report(checked.col, checked.message);
      return { kind: "scalar", field: checked.field, operand: { kind: "field", field: checked.field } };
    }
    const field = FIELDS.get(ref.name);
    if (field?.type === "set") return { kind: "set", field };
    if (field) return { kind: "scalar", field, operand: { kind: "field", field } };
    if (ref.name.startsWith(ATTRIBUTE_PREFIX)) {
      const key = ref.name.slice(ATTRIBUTE_PREFIX.length);
      if (ATTRIBUTE_KEY.test(key)) return { kind: "attribute", key };
      return this.report(
        ref.col,
        key === ""
          ? "expected a key after attributes., like attributes.tier"
          : `'${ref.name}': an attribute key is one word of letters, digits, _ and -, like attributes.tier`,
      );
    }
    if (ref.name === "attributes") {
      return this.report(ref.col, "attributes needs a key: attributes.tier reads the attribute tier");
    }
    const hint = didYouMean(ref.name, FIELD_NAMES, `: expected ${FIELD_LIST}`);
    return this.report(ref.col, `unknown field '${ref.name}'${hint}`);
  }

  /**
   * `total_spent("IDR") > 500000` compares in rupiah (a plain number is in the currency named, `500000 IDR` too);
   * bare `total_spent > 100 EUR` in the base currency, which the amount must name.
   */
  moneyCompare(ref: FieldRef & { name: MoneyField }, op: CompareOp, value: Literal): Condition | undefined {
    const { base } = this.money;
    const { currency } = ref;
    if (currency && !CURRENCY_CODE.test(currency.code)) {
      return this.report(
        currency.col,
        `${JSON.stringify(currency.code)} is not a currency code: write three capital letters, like ${ref.name}("PLN")`,
      );
    }
    const amount = value.kind === "number" || value.kind === "money" ? value.value : undefined;
    if (amount === undefined) {
      const example = currency ? `500 or 500 ${currency.code}` : `500 ${base}`;
      return this.report(
        value.col,
        `${ref.name} is money: compare it with an amount like ${example}, not ${value.text}`,
      );
    }
    if (currency) {
      if (value.kind === "money" && value.currency !== currency.code) {
        return this.report(
          value.col,
          `${ref.name}("${currency.code}") is in ${currency.code}: compare it with ${amount} or ${amount} ${currency.code}, not ${value.text}`,
        );
      }
      return { kind: "money", field: ref.name, op, value: amount, rates: { [currency.code]: "1" } };
    }
    if (value.kind !== "money") {
      return this.report(
        value.col,
        `${ref.name} is money in the base currency ${base}: write ${amount} ${base}, or ${ref.name}("PLN") > ${amount} for one currency`,
      );
    }
    if (value.currency !== base) {
      return this.report(
        value.col,
        `${ref.name} is in the base currency ${base} (RAPPORT_BASE_CURRENCY): write ${amount} ${base}, or ${ref.name}("${value.currency}") > ${amount} for ${value.currency} alone`,
      );
    }
    return { kind: "money", field: ref.name, op, value: amount, rates: this.money.rates };
  }

  compare(ref: FieldRef, op: CompareOp, opCol: number, value: Literal): Condition | undefined {
    if (isMoneyField(ref.name)) return this.moneyCompare(ref as FieldRef & { name: MoneyField }, op, value);
    if (value.kind === "money") {
      return this.report(
        value.col,
        `${value.text} is an amount of money: only total_spent and avg_order compare with one; write ${value.value}`,
      );
    }
    const target = this.resolve(ref);
    if (!target) return undefined;
    if (target.kind === "set") {
      return this.report(
        opCol,
        `${ref.name} is a list: use ${ref.name} contains ${this.example(target.field)}`,
      );
    }
    let type: ScalarField["type"] | "boolean";
    let operand: Operand;
    if (target.kind === "attribute") {
      const read = this.attributeType(ref, value);
      if (read === undefined) return undefined;
      type = read;
      operand = { kind: "attribute", key: target.key, type: read };
    } else {
      type = target.field.type;
      operand = target.operand;
    }
    switch (type) {
      case "number":
        if (value.kind !== "number") return this.wrongType(ref, "a number", "a number like 2", value);
        return { kind: "number", operand, op, value: value.value };
      case "date":
        return this.compareDate(ref, operand, op, opCol, value);
      case "text":
      case "boolean": {
        if (op !== "=" && op !== "!=") {
          const use = type === "text" ? "=, !=, in, not in or contains" : "= or !=";
          return this.report(
            opCol,
            `${ref.name} is ${type === "text" ? "text" : "true or false"}: use ${use}`,
          );
        }
        if (value.kind === "boolean") return { kind: "boolean", operand, op, value: value.value };
        const text = this.text(ref, target.kind === "scalar" ? target.field : undefined, value);
        return text === undefined ? undefined : { kind: "text", operand, op, value: text };
      }
    }
  }

  /** An attribute is compared as the type of the value it is compared with. */
  attributeType(ref: FieldRef, value: Literal): "number" | "text" | "boolean" | undefined {
    if (value.kind === "number") return "number";
    if (value.kind === "string") return "text";
    if (value.kind === "boolean") return "boolean";
    return this.report(
      value.col,
      `${ref.name} is compared as a number, text or true/false: now does not apply`,
    );
  }

  compareDate(
    ref: FieldRef,
    operand: Operand,
    op: CompareOp,
    opCol: number,
    value: Literal,
  ): Condition | undefined {
    if (op === "=" || op === "!=") {
      return this.report(
        opCol,
        `${ref.name} is a date: compare it with <, <=, > or >=, like ${ref.name} < now - 60d`,
      );
    }
    let instant: Instant;
    if (value.kind === "now") {
      instant = { from: "now", offsetMs: value.offsetMs };
    } else if (value.kind === "string") {
      const date = parseDateLiteral(value.value);
      if (!date) {
        return this.report(
          value.col,
          `${value.text} is not a date: write a date like "2026-01-31" or "2026-01-31T09:00:00Z", or now - 30d`,
        );
      }
      if (date.wholeDay && (op === "<=" || op === ">")) {
        // A whole day: `<= "2026-01-31"` takes in all of January 31 (UTC), `> "2026-01-31"` starts on February 1.
        return {
          kind: "date",
          operand,
          op: op === "<=" ? "<" : ">=",
          value: { from: "epoch", ms: date.ms + ONE_DAY_MS },
        };
      }
      instant = { from: "epoch", ms: date.ms };
    } else {
      return this.wrongType(ref, "a date", DATE_EXAMPLE, value);
    }
    return { kind: "date", operand, op, value: instant };
  }

  text(ref: FieldRef, field: ScalarField | undefined, value: Literal): string | undefined {
    if (value.kind !== "string") {
      const quoted = value.kind === "now" ? '"ID"' : JSON.stringify(value.text);
      return this.report(value.col, `${ref.name} is text: put the value in double quotes, like ${quoted}`);
    }
    if (field?.values && !field.values.includes(value.value)) {
      return this.report(value.col, unknownValue(field.valueKind ?? "channel", value.value, field.values));
    }
    return field?.lowerCase ? value.value.toLowerCase() : value.value;
  }

  wrongType(ref: FieldRef, kind: string, example: string, value: Literal): undefined {
    return this.report(value.col, `${ref.name} is ${kind}: compare it with ${example}, not ${value.text}`);
  }

  example(field: SetField): string {
    return field.name === "channels" ? '"email"' : field.name === "tags" ? '"vip"' : '"SKU-1"';
  }

  in(ref: FieldRef, values: Literal[], negated: boolean, opCol: number): Condition | undefined {
    const target = this.resolve(ref);
    if (!target) return undefined;
    const word = negated ? "not in" : "in";
    if (target.kind === "set") {
      return this.report(
        opCol,
        `${ref.name} is a list: use ${ref.name} contains ${this.example(target.field)}, joined with or for several`,
      );
    }
    const type = target.kind === "attribute" ? this.listType(ref, values) : target.field.type;
    if (type === undefined) return undefined;
    if (type === "date") {
      return this.report(
        opCol,
        `${ref.name} is a date: ${word} does not apply; compare it with <, <=, > or >=`,
      );
    }
    const operand: Operand =
      target.kind === "attribute" ? { kind: "attribute", key: target.key, type } : target.operand;
    if (type === "number") {
      const numbers: number[] = [];
      for (const value of values) {
        if (value.kind !== "number") return this.wrongType(ref, "a number", "numbers like [1, 2]", value);
        numbers.push(value.value);
      }
      return { kind: "in", operand, values: numbers, negated };
    }
    const texts = values.map((v) => this.text(ref, target.kind === "scalar" ? target.field : undefined, v));
    if (texts.some((t) => t === undefined)) return undefined;
    return { kind: "in", operand, values: texts as string[], negated };
  }

  /** An attribute in a list is compared as numbers or as text, as the list's values all are. */
  listType(ref: FieldRef, values: Literal[]): "number" | "text" | undefined {
    const kind = values[0]!.kind;
    const odd = values.find((v) => v.kind !== kind || (kind !== "number" && kind !== "string"));
    if (odd) {
      return this.report(
        odd.col,
        `${ref.name} in [...] takes numbers or text, all of one kind, like [1, 2] or ["gold", "silver"]; got ${odd.text}`,
      );
    }
    return kind === "number" ? "number" : "text";
  }

  contains(ref: FieldRef, value: Literal, opCol: number): Condition | undefined {
    const target = this.resolve(ref);
    if (!target) return undefined;
    if (target.kind === "scalar" && target.field.type !== "text") {
      return this.report(
        opCol,
        `contains works on text and on the lists channels and skus, but ${ref.name} is a ${target.field.type}: use =, <, <=, > or >=`,
      );
    }
    if (value.kind !== "string") {
      return this.report(
        value.col,
        `contains takes text in double quotes, like ${JSON.stringify(value.text)}`,
      );
    }
    if (target.kind === "set") {
      if (target.field.values && !target.field.values.includes(value.value)) {
        return this.report(value.col, unknownValue("channel", value.value, target.field.values));
      }
      const wanted = target.field.lowerCase ? value.value.toLowerCase() : value.value;
      return { kind: "has", field: target.field, value: wanted };
    }
    const operand: Operand =
      target.kind === "attribute" ? { kind: "attribute", key: target.key, type: "text" } : target.operand;
    return { kind: "contains", operand, value: value.value };
  }

  isNull(ref: FieldRef, negated: boolean, opCol: number): Condition | undefined {
    const target = this.resolve(ref);
    if (!target) return undefined;
    if (target.kind === "attribute") {
      return { kind: "is_null", operand: { kind: "attribute", key: target.key, type: "any" }, negated };
    }
    if (target.kind === "set") {
      return this.report(opCol, `${ref.name} is a list and never null: use not ${ref.name} contains …`);
    }
    if (!target.field.nullable) {
      return this.report(
        opCol,
        `${ref.name} is never null (${target.field.description}): compare its value instead`,
      );
    }
    return { kind: "is_null", operand: target.operand, negated };
  }
}

/**
 * Checks a parsed expression: fields exist, values suit them, channels and segments are known. Reports
 * every problem, not only the first.
 * @param money What bare `total_spent` is in. Defaults to EUR alone.
 * @returns the typed condition (undefined when there are issues or a segment was skipped), and the issues.
 */
export function checkExpression(
  expr: Expr,
  lookup: SegmentLookup,
  money: MoneyContext = baseOnly(),
): { condition: Condition | undefined; issues: ExpressionIssue[] } {
  const checker = new Checker(lookup, money);
  const condition = checker.check(expr);
  return { condition: checker.issues.length === 0 ? condition : undefined, issues: checker.issues };
}
