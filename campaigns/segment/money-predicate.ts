import type { MoneyCondition } from "./condition.ts";
import type { SegmentFacts } from "./facts.ts";
import { RATE_DECIMALS, scaled } from "./money.ts";

/** Amounts have 2 decimals and rates at most {@link RATE_DECIMALS}: their products are exact at this scale. */
const PLACES = 2 + RATE_DECIMALS;

function compare(a: bigint, op: MoneyCondition["op"], b: bigint): boolean {
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

/**
 * The in-memory twin of `moneySql`, in exact integer arithmetic: each currency with a rate adds net × rate,
 * and an average is compared as `net op amount × orders` with at least one order.
 */
export function moneyPredicate(condition: MoneyCondition): (facts: SegmentFacts) => boolean {
  const rates = Object.entries(condition.rates).map(
    ([code, rate]) => [code, scaled(rate, RATE_DECIMALS)] as const,
  );
  // toFixed writes 1e21 and above with an exponent: such a double is a whole number, exact as a bigint.
  const amount =
    Math.abs(condition.value) >= 1e21
      ? BigInt(condition.value) * 10n ** BigInt(PLACES)
      : scaled(condition.value.toFixed(PLACES), PLACES);
  const { field, op } = condition;
  return (facts) => {
    let net = 0n;
    let orders = 0n;
    for (const [code, rate] of rates) {
      const money = Object.hasOwn(facts.money, code) ? facts.money[code] : undefined;
      if (!money) continue;
      net += scaled(money.net, 2) * rate;
      orders += BigInt(money.orders);
    }
    if (field === "total_spent") return compare(net, op, amount);
    return orders > 0n && compare(net, op, amount * orders);
  };
}
