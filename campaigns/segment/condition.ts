import type { ScalarField, SetField } from "./fields.ts";
import type { MoneyField } from "./money.ts";

/** What a comparison reads: a field, or a key of Customer.attributes read as one JSON type (else null). */
export type Operand =
  | { kind: "field"; field: ScalarField }
  | { kind: "attribute"; key: string; type: "number" | "text" | "boolean" | "any" };

/** A moment: `now` plus an offset, or a fixed time (ms since the epoch). */
export type Instant = { from: "now"; offsetMs: number } | { from: "epoch"; ms: number };

/**
 * A checked expression: every field known, every value of the right type, segments expanded. Both the SQL
 * and the predicate are compiled from it. Every leaf is two-valued: a null operand makes it false.
 */
export type Condition =
  | { kind: "and" | "or"; items: Condition[] }
  | { kind: "not"; item: Condition }
  | { kind: "number"; operand: Operand; op: "=" | "!=" | "<" | "<=" | ">" | ">="; value: number }
  | { kind: "text"; operand: Operand; op: "=" | "!="; value: string }
  | { kind: "boolean"; operand: Operand; op: "=" | "!="; value: boolean }
  | { kind: "date"; operand: Operand; op: "<" | "<=" | ">" | ">="; value: Instant }
  | { kind: "in"; operand: Operand; values: number[] | string[]; negated: boolean }
  /** Substring, ignoring the case of A–Z (and only those, so SQL and JS agree on every server). */
  | { kind: "contains"; operand: Operand; value: string }
  | { kind: "has"; field: SetField; value: string }
  | { kind: "is_null"; operand: Operand; negated: boolean }
  | { kind: "consent"; channel: string; status: "granted" | "denied" }
  | MoneyCondition;

/**
 * A money field compared with an amount. `rates` say which currencies count and what one unit of each is worth
 * in the unit compared in: `{ PLN: "1" }` for `total_spent("PLN")`, every rate to the base for bare `total_spent`.
 */
export interface MoneyCondition {
  kind: "money";
  field: MoneyField;
  op: "=" | "!=" | "<" | "<=" | ">" | ">=";
  value: number;
  rates: Readonly<Record<string, string>>;
}

/** Lower-cases A–Z only: what PostgreSQL's `lower(x COLLATE "C")` does. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}

/** The time an instant stands for, given the `now` of the evaluation. */
export function instantMs(instant: Instant, now: Date): number {
  return instant.from === "now" ? now.getTime() + instant.offsetMs : instant.ms;
}

/**
 * A comparison operator of the DSL applied to two values of one kind (numbers, instants in ms, text,
 * booleans, or exact money as bigint): the predicate's single reading of `=`, `!=`, `<`, `<=`, `>`, `>=`.
 */
export function compare<T extends number | string | boolean | bigint>(a: T, op: string, b: T): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    default:
      return a >= b;
  }
}
