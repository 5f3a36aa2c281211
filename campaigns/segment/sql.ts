import { Prisma } from "../../lib/db/index.ts";
import { asciiLower, type Condition, instantMs, type Operand } from "./condition.ts";
import { moneySql } from "./money-sql.ts";

const JSON_TYPES = { number: "number", text: "string", boolean: "boolean" } as const;
const CASTS = { number: "numeric", text: "text", boolean: "boolean" } as const;

/** A timestamp parameter: the column is `timestamp(3)` holding UTC, so the zone is left out on purpose. */
function timestamp(ms: number): Prisma.Sql {
  return Prisma.sql`${new Date(ms).toISOString().slice(0, -1)}::timestamp`;
}

function operandSql(operand: Operand, now: Date): Prisma.Sql {
  if (operand.kind === "field") return operand.field.sqlAt?.(now) ?? operand.field.sql;
  const value = Prisma.sql`(c.attributes -> ${operand.key}::text)`;
  if (operand.type === "any") return value;
  // An attribute of another JSON type than the value it is compared with counts as missing.
  const text = Prisma.sql`(c.attributes ->> ${operand.key}::text)`;
  const read = operand.type === "text" ? text : Prisma.sql`${text}::${Prisma.raw(CASTS[operand.type])}`;
  return Prisma.sql`(CASE WHEN jsonb_typeof(${value}) = ${Prisma.raw(`'${JSON_TYPES[operand.type]}'`)} THEN ${read} END)`;
}

function literal(value: number | string | boolean): Prisma.Sql {
  if (typeof value === "number") return Prisma.sql`${value}::numeric`;
  if (typeof value === "boolean") return Prisma.sql`${value}::boolean`;
  return Prisma.sql`${value}::text`;
}

/** SQL's three-valued logic made two-valued: a comparison with a null side is false, so NOT stays plain. */
function known(comparison: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`COALESCE(${comparison}, false)`;
}

function operator(op: string): Prisma.Sql {
  return Prisma.raw(op === "!=" ? "<>" : op);
}

function conditionSql(condition: Condition, now: Date): Prisma.Sql {
  switch (condition.kind) {
    case "and":
    case "or": {
      const parts = condition.items.map((item) => conditionSql(item, now));
      return Prisma.sql`(${Prisma.join(parts, condition.kind === "and" ? " AND " : " OR ")})`;
    }
    case "not":
      return Prisma.sql`(NOT ${conditionSql(condition.item, now)})`;
    case "number":
    case "text":
    case "boolean":
      return known(
        Prisma.sql`${operandSql(condition.operand, now)} ${operator(condition.op)} ${literal(condition.value)}`,
      );
    case "date":
      return known(
        Prisma.sql`${operandSql(condition.operand, now)} ${operator(condition.op)} ${timestamp(instantMs(condition.value, now))}`,
      );
    case "in": {
      const list = Prisma.join((condition.values as Array<number | string>).map(literal));
      const word = Prisma.raw(condition.negated ? "NOT IN" : "IN");
      return known(Prisma.sql`${operandSql(condition.operand, now)} ${word} (${list})`);
    }
    case "contains":
      return known(
        Prisma.sql`strpos(lower(${operandSql(condition.operand, now)} COLLATE "C"), ${asciiLower(condition.value)}::text) > 0`,
      );
    case "has":
      return condition.field.has(condition.value);
    case "is_null": {
      const { operand } = condition;
      // For an attribute, a JSON null is as missing as an absent key.
      const isNull =
        operand.kind === "attribute"
          ? Prisma.sql`COALESCE(jsonb_typeof(${operandSql(operand, now)}), 'null') = 'null'`
          : Prisma.sql`${operandSql(operand, now)} IS NULL`;
      return condition.negated ? Prisma.sql`(NOT ${isNull})` : Prisma.sql`(${isNull})`;
    }
    case "consent":
      return known(
        Prisma.sql`(c.consent -> ${condition.channel}::text ->> 'status') = ${condition.status}::text`,
      );
    case "money":
      return moneySql(condition);
  }
}

/**
 * A boolean SQL condition over the Customer row aliased `c`: use it as
 * `SELECT c.id FROM "Customer" c WHERE ${sql}`. Every value is a bound parameter, `now` included (never the
 * server's clock), so the SQL and the in-memory predicate agree on the same facts at the same moment.
 */
export function conditionToSql(condition: Condition, now: Date): Prisma.Sql {
  return conditionSql(condition, now);
}
