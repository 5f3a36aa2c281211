/** The comparison operators of the segment DSL. */
export const COMPARE_OPS = ["=", "!=", "<", "<=", ">", ">="] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

/** A field as written (`orders`, `attributes.tier`, `total_spent("PLN")`), not yet checked. `col` is 1-based. */
export interface FieldRef {
  name: string;
  col: number;
  /** The currency of `total_spent("PLN")`, as written, and where. */
  currency?: { code: string; col: number };
  /** The arguments of a count over a window, `opened(30d, "email")`, as written (checked by the checker). */
  args?: CallArg[];
}

/** One argument of `opened(30d, "email")` as written: a duration, text, or anything else (refused). */
export type CallArg =
  | { kind: "duration"; ms: number; text: string; col: number }
  | { kind: "string"; value: string; text: string; col: number }
  | { kind: "other"; text: string; col: number };

/** A value as written. `now` carries its offset: `now - 30d` is `{ kind: "now", offsetMs: -2592000000 }`. */
export type Literal =
  | { kind: "number"; value: number; text: string; col: number }
  | { kind: "string"; value: string; text: string; col: number }
  | { kind: "boolean"; value: boolean; text: string; col: number }
  | { kind: "now"; offsetMs: number; text: string; col: number }
  /** An amount with its currency: `100 EUR`. */
  | { kind: "money"; value: number; currency: string; text: string; col: number };

/** The parsed expression, before fields, types and segments are checked. Columns are 1-based. */
export type Expr =
  | { kind: "or" | "and"; items: Expr[] }
  | { kind: "not"; item: Expr; col: number }
  | { kind: "compare"; field: FieldRef; op: CompareOp; opCol: number; value: Literal }
  | { kind: "in"; field: FieldRef; negated: boolean; opCol: number; values: Literal[] }
  | { kind: "contains"; field: FieldRef; opCol: number; value: Literal }
  | { kind: "is_null"; field: FieldRef; negated: boolean; opCol: number }
  | { kind: "segment"; name: string; col: number; nameCol: number }
  | { kind: "consent"; status: "granted" | "denied"; channel: string; col: number; channelCol: number };
