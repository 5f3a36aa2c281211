import { Prisma } from "../../lib/db/index.ts";
import type { MoneyCondition } from "./condition.ts";

/**
 * True for a purchase `e` that is not fully refunded: its refunds (events of type refund of the same customer
 * whose `properties.orderId` is the purchase's `externalId`) add up to less than its value, or there are none.
 */
export const NOT_FULLY_REFUNDED = Prisma.sql`NOT COALESCE((SELECT sum(x.value) FROM "Event" x
  WHERE x."customerId" = e."customerId" AND x.type = 'refund' AND x.properties ->> 'orderId' = e."externalId")
  >= COALESCE(e.value, 0), false)`;

/**
 * The refunds of every order, to join as `f` on (customerId, orderId = purchase externalId): the set-based twin
 * of {@link NOT_FULLY_REFUNDED} for statements over all customers at once (RFM), where a subquery per purchase
 * costs 3× more. Use it with {@link NOT_FULLY_REFUNDED_JOINED}.
 */
export const REFUNDS_BY_ORDER = Prisma.sql`SELECT x."customerId", x.properties ->> 'orderId' AS "orderId",
  sum(x.value) AS amount FROM "Event" x WHERE x.type = 'refund' GROUP BY 1, 2`;

/** {@link NOT_FULLY_REFUNDED} for a purchase `e` LEFT JOINed to {@link REFUNDS_BY_ORDER} as `f`. */
export const NOT_FULLY_REFUNDED_JOINED = Prisma.sql`NOT COALESCE(f.amount >= COALESCE(e.value, 0), false)`;

/** Purchases minus refunds: the rule of the console's lifetime value per currency. */
export const SIGNED_VALUE = Prisma.sql`(CASE WHEN e.type = 'purchase' THEN e.value ELSE -e.value END)`;

/** The number of purchases of the customer `c` that are not fully refunded. */
export const ORDERS_SQL = Prisma.sql`(SELECT count(*) FROM "Event" e
  WHERE e."customerId" = c.id AND e.type = 'purchase' AND ${NOT_FULLY_REFUNDED})`;

function operator(op: string): Prisma.Sql {
  return Prisma.raw(op === "!=" ? "<>" : op);
}

/**
 * A money comparison over the customer `c`, in one aggregate over their purchase and refund events (the
 * `customerId` index), joined to the rates: only currencies with a rate count. An average is compared as
 * `net op amount × orders`, never divided, so SQL and the predicate agree to the last digit.
 */
export function moneySql(condition: MoneyCondition): Prisma.Sql {
  const rates = Prisma.join(
    Object.entries(condition.rates).map(([code, rate]) => Prisma.sql`(${code}::text, ${rate}::numeric)`),
  );
  const net = Prisma.sql`COALESCE(sum(${SIGNED_VALUE} * r.rate), 0)`;
  // As text, the very digits the predicate compares with (decimalOf), never a float.
  const amount = Prisma.sql`${String(condition.value)}::numeric`;
  const op = operator(condition.op);
  const test =
    condition.field === "total_spent"
      ? Prisma.sql`${net} ${op} ${amount}`
      : Prisma.sql`count(*) FILTER (WHERE e.type = 'purchase' AND ${NOT_FULLY_REFUNDED}) > 0
        AND ${net} ${op} ${amount} * count(*) FILTER (WHERE e.type = 'purchase' AND ${NOT_FULLY_REFUNDED})`;
  return Prisma.sql`COALESCE((SELECT ${test} FROM "Event" e
    JOIN (VALUES ${rates}) AS r(currency, rate) ON r.currency = e.currency
    WHERE e."customerId" = c.id AND e.type IN ('purchase', 'refund')), false)`;
}
