import { compare, type MoneyCondition } from "./condition.ts";
import type { SegmentFacts } from "./facts.ts";
import { decimalOf, RATE_DECIMALS, scaled } from "./money.ts";

/** Amounts have 2 decimals and rates at most {@link RATE_DECIMALS}: their products are exact at this scale. */
const PLACES = 2 + RATE_DECIMALS;

/**
 * The in-memory twin of `moneySql`, in exact integer arithmetic: each currency with a rate adds net × rate,
 * and an average is compared as `net op amount × orders` with at least one order.
 */
export function moneyPredicate(condition: MoneyCondition): (facts: SegmentFacts) => boolean {
  const rates = Object.entries(condition.rates).map(
    ([code, rate]) => [code, scaled(rate, RATE_DECIMALS)] as const,
  );
  // The amount as PostgreSQL reads it (String(value)), at a scale that holds it and every net × rate exactly.
  const literal = decimalOf(condition.value);
  const places = Math.max(PLACES, literal.places);
  const amount = literal.digits * 10n ** BigInt(places - literal.places);
  const up = 10n ** BigInt(places - PLACES);
  const { field, op } = condition;
  return (facts) => {
    let net = 0n;
    let orders = 0n;
    for (const [code, rate] of rates) {
      const money = Object.hasOwn(facts.money, code) ? facts.money[code] : undefined;
      if (!money) continue;
      net += scaled(money.net, 2) * rate * up;
      orders += BigInt(money.orders);
    }
    if (field === "total_spent") return compare(net, op, amount);
    return orders > 0n && compare(net, op, amount * orders);
  };
}
