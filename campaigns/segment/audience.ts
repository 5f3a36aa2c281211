import type { Prisma } from "../../lib/db/index.ts";
import { CampaignSyntaxError } from "../../lib/errors.ts";
import { checkExpression } from "./check.ts";
import type { Condition } from "./condition.ts";
import type { SegmentFacts } from "./facts.ts";
import type { ExpressionIssue } from "./issue.ts";
import { parseExpression } from "./parser.ts";
import { conditionToPredicate } from "./predicate.ts";
import { type Segments, segmentLookup } from "./segments.ts";
import { conditionToSql } from "./sql.ts";

/** A compiled audience: who it takes in, as SQL for many customers and as a predicate for one. */
export interface Audience {
  /** The expression as written. */
  readonly expression: string;
  /** The checked condition, segments expanded. */
  readonly condition: Condition;
  /**
   * A boolean condition over the Customer row aliased `c`, for `SELECT c.id FROM "Customer" c WHERE ${sql}`.
   * `now` is a bound parameter: pass the same clock reading the predicate's facts carry. Merged customers
   * (`mergedIntoId` set) are not left out here: the caller's query does that.
   */
  sql(now: Date): Prisma.Sql;
  /** True when the customer the facts describe is in the audience (`facts.now` is `now`). Same answer as `sql`. */
  predicate(facts: SegmentFacts): boolean;
}

/** Wraps a checked condition into an {@link Audience}. */
export function audienceOf(expression: string, condition: Condition): Audience {
  return {
    expression,
    condition,
    sql: (now) => conditionToSql(condition, now),
    predicate: conditionToPredicate(condition),
  };
}

/**
 * Every problem of an audience expression, each at its 1-based column: the first syntax error, or else every
 * unknown field, segment or channel and every type mismatch. With `segments` undefined, segment names are not
 * checked (`segment(x)` is taken on trust).
 */
export function audienceIssues(expression: string, segments: Segments | undefined): ExpressionIssue[] {
  const parsed = parseExpression(expression);
  if (!parsed.ok) return [parsed.issue];
  return checkExpression(parsed.expr, segmentLookup(segments), segments?.money).issues;
}

/**
 * Compiles an audience expression (a campaign's `audience`) against the named segments, for the engine.
 * @throws CampaignSyntaxError listing every problem, each at line 1 and its column of a file named "audience":
 *   campaigns are checked when they load, so this only happens to an expression that never was.
 */
export function compileAudience(expression: string, segments: Segments): Audience {
  const parsed = parseExpression(expression);
  const checked = parsed.ok
    ? checkExpression(parsed.expr, segmentLookup(segments), segments.money)
    : undefined;
  const issues = parsed.ok ? checked!.issues : [parsed.issue];
  if (issues.length > 0 || !checked?.condition) {
    throw new CampaignSyntaxError(
      issues.map((issue) => ({ file: "audience", line: 1, col: issue.col, message: issue.message })),
    );
  }
  return audienceOf(expression, checked.condition);
}
