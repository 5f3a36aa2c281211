/**
 * The segment DSL: audiences such as `segment(vip) or (orders >= 2 and country in ["ID", "PL"])`, parsed and
 * type-checked with every error at its column, then compiled both to a PostgreSQL condition (for many
 * customers at once) and to an in-memory predicate (for one customer as an event arrives). The two agree.
 */
export type { CompareOp, Expr, FieldRef, Literal } from "./ast.ts";
export { type Audience, audienceIssues, compileAudience } from "./audience.ts";
export { campaignSegmentIssues } from "./campaign-issues.ts";
export { checkExpression, type SegmentLookup, type SegmentRef } from "./check.ts";
export type { Condition, Instant, MoneyCondition, Operand } from "./condition.ts";
export {
  type CompiledCurrencies,
  CurrenciesFile,
  compileCurrencies,
  loadCurrencies,
  missingRates,
  namedCurrencies,
  STALE_RATE_DAYS,
} from "./currencies.ts";
export {
  ENGAGEMENT_METRICS,
  type EngagementMetric,
  engagementField,
  MAX_ENGAGEMENT_WINDOW_MS,
  REPLY_WITHIN_HOURS,
  RESPONDS_ON_SQL,
  respondsOnOf,
} from "./engagement.ts";
export type { SegmentFacts } from "./facts.ts";
export { FIELDS, type Field, type ScalarField, type SetField } from "./fields.ts";
export type { ExpressionIssue } from "./issue.ts";
export { loadSegmentFacts } from "./load-facts.ts";
export { baseOnly, DEFAULT_BASE_CURRENCY, MONEY_FIELDS, type MoneyContext } from "./money.ts";
export { NOT_FULLY_REFUNDED } from "./money-sql.ts";
export { type ParseResult, parseExpression } from "./parser.ts";
export type { Predicate } from "./predicate.ts";
export { RFM_MAP, RFM_SEGMENTS, RFM_WINDOW_DAYS, type RfmSegment, rfmSegment } from "./rfm-map.ts";
export { type RfmSummary, refreshRfm, rfmDistribution } from "./rfm-refresh.ts";
export { type CompiledSegment, noSegments, SEGMENT_NAME, type Segments, segmentLookup } from "./segments.ts";
export { compileSegments, loadSegments } from "./segments-file.ts";
