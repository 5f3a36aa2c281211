import { asciiLower, type Condition, compare, instantMs, type Operand } from "./condition.ts";
import type { SegmentFacts } from "./facts.ts";
import { moneyPredicate } from "./money-predicate.ts";

/** What a customer's facts hold for one condition, or not. Compiled once, run per customer. */
export type Predicate = (facts: SegmentFacts) => boolean;

type Value = number | string | boolean | Date | null;

const JSON_TYPES = { number: "number", text: "string", boolean: "boolean" } as const;

function own(map: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function reader(operand: Operand): (facts: SegmentFacts) => Value | undefined {
  if (operand.kind === "field") {
    if (operand.field.read) return operand.field.read;
    const fact = operand.field.fact;
    return (facts) => facts[fact] as Value;
  }
  const { key, type } = operand;
  if (type === "any") return (facts) => own(facts.attributes, key) as Value | undefined;
  // As in SQL: an attribute of another JSON type than the value it is compared with counts as missing.
  const jsonType = JSON_TYPES[type];
  return (facts) => {
    const value = own(facts.attributes, key);
    return typeof value === jsonType ? (value as Value) : null;
  };
}

function isPresent<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

function consentStatus(consent: Record<string, unknown>, channel: string): unknown {
  const entry = own(consent, channel);
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return undefined;
  return own(entry as Record<string, unknown>, "status");
}

/**
 * The in-memory twin of `conditionToSql`: true exactly when the SQL condition is true for the customer the
 * facts describe (with `facts.now` as `now`). Null operands make a comparison false, as COALESCE does in SQL.
 */
export function conditionToPredicate(condition: Condition): Predicate {
  switch (condition.kind) {
    case "and": {
      const items = condition.items.map(conditionToPredicate);
      return (facts) => items.every((item) => item(facts));
    }
    case "or": {
      const items = condition.items.map(conditionToPredicate);
      return (facts) => items.some((item) => item(facts));
    }
    case "not": {
      const item = conditionToPredicate(condition.item);
      return (facts) => !item(facts);
    }
    case "number":
    case "text":
    case "boolean": {
      const read = reader(condition.operand);
      const { op, value } = condition;
      return (facts) => {
        const actual = read(facts);
        return isPresent(actual) && compare(actual as number | string | boolean, op, value);
      };
    }
    case "date": {
      const read = reader(condition.operand);
      const { op, value } = condition;
      return (facts) => {
        const actual = read(facts);
        return actual instanceof Date && compare(actual.getTime(), op, instantMs(value, facts.now));
      };
    }
    case "in": {
      const read = reader(condition.operand);
      const values = new Set<unknown>(condition.values);
      const { negated } = condition;
      return (facts) => {
        const actual = read(facts);
        return isPresent(actual) && values.has(actual) !== negated;
      };
    }
    case "contains": {
      const read = reader(condition.operand);
      const needle = asciiLower(condition.value);
      return (facts) => {
        const actual = read(facts);
        return typeof actual === "string" && asciiLower(actual).includes(needle);
      };
    }
    case "has": {
      const { field, value } = condition;
      return (facts) => (facts[field.fact] ?? []).includes(value);
    }
    case "is_null": {
      const read = reader(condition.operand);
      const { negated } = condition;
      return (facts) => !isPresent(read(facts)) !== negated;
    }
    case "consent": {
      const { channel, status } = condition;
      return (facts) => consentStatus(facts.consent, channel) === status;
    }
    case "money":
      return moneyPredicate(condition);
  }
}
