import { readFile } from "node:fs/promises";
import { type Document, isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { type CampaignIssue, CampaignSyntaxError } from "../../lib/errors.ts";
import { expected } from "../expected.ts";
import { campaignIssues, KnownKeys } from "../issues.ts";
import { text } from "../names.ts";
import { locate, positionOf } from "../positions.ts";
import { yamlIssues } from "../yaml-issues.ts";
import type { Expr } from "./ast.ts";
import { audienceOf } from "./audience.ts";
import { checkExpression, type SegmentRef } from "./check.ts";
import { findCycles, segmentRefs } from "./cycles.ts";
import type { ExpressionIssue } from "./issue.ts";
import { baseOnly, type MoneyContext } from "./money.ts";
import { parseExpression } from "./parser.ts";
import { type CompiledSegment, SEGMENT_NAME, type Segments, unknownSegment } from "./segments.ts";
import { expressionNode, positionInScalar } from "./yaml-position.ts";

const WHERE_EXPECTED = "a segment expression like total_spent > 500 EUR or orders >= 5";

const Where = text(WHERE_EXPECTED);

/** One entry in full: `name: { description, where }`. The shorthand `name: <expression>` is a bare Where. */
const SegmentEntry = z.strictObject(
  {
    description: text("a description for people").optional(),
    where: Where,
  },
  { error: expected(`${WHERE_EXPECTED}, or a map with where and an optional description`) },
);

/** A segment whose entry is well formed and whose expression parses. */
interface Parsed {
  name: string;
  description?: string;
  where: string;
  expr: Expr;
  /** Places a column of the expression in the file, with the entry's path for messages. */
  at(issue: ExpressionIssue): CampaignIssue;
}

function byPosition(a: CampaignIssue, b: CampaignIssue): number {
  return a.line - b.line || a.col - b.col;
}

/** Reads the entries of the file: every shape and syntax problem goes to `issues`, the good ones are returned. */
function parseEntries(
  doc: Document,
  source: string,
  lines: LineCounter,
  file: string,
  issues: CampaignIssue[],
) {
  const parsed: Parsed[] = [];
  const names: string[] = [];
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { parsed, names };
  if (!isMap(root)) {
    issues.push({
      file,
      ...positionOf(root, lines),
      message: "expected a map of segment names to expressions, like vip: total_spent > 500 EUR",
    });
    return { parsed, names };
  }
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch {
    return { parsed, names }; // only a bad alias makes toJS throw, and yamlIssues reported it
  }
  const broken = new Set(issues.map((issue) => issue.line));
  for (const pair of root.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!SEGMENT_NAME.test(name)) {
      issues.push({
        file,
        ...positionOf(pair.key as never, lines),
        message: `segment name '${name}': expected a letter, then letters, digits, _ or -, like new-customers`,
      });
      continue;
    }
    names.push(name);
    const known = new KnownKeys();
    const value = data[name];
    const schema = typeof value === "string" ? Where : SegmentEntry;
    const result = z.record(z.string(), schema).safeParse({ [name]: value }, { error: known.errorMap });
    if (!result.success) {
      const found = campaignIssues(result.error.issues, doc, lines, file, known, broken.size > 0);
      issues.push(...found.filter((issue) => !broken.has(issue.line)));
      continue;
    }
    const parsedEntry = result.data[name]!;
    const entry =
      typeof parsedEntry === "string" ? { where: parsedEntry, description: undefined } : parsedEntry;
    const path = isScalar(pair.value) ? [name] : [name, "where"];
    const node = expressionNode(locate(doc, path).node);
    const where = node?.value ?? entry.where;
    const at = (issue: ExpressionIssue): CampaignIssue => ({
      file,
      ...(node ? positionInScalar(node, issue.col, source, lines) : positionOf(null, lines)),
      message: `${path.join(".")}: ${issue.message}`,
    });
    const expression = parseExpression(where);
    if (!expression.ok) {
      issues.push(at(expression.issue));
      continue;
    }
    parsed.push({ name, description: entry.description, where: where.trim(), expr: expression.expr, at });
  }
  return { parsed, names };
}

/**
 * Compiles the text of a segments.yaml, keeping every segment that compiles.
 * @param money What bare `total_spent` is in (RAPPORT_BASE_CURRENCY and currencies.yaml). Defaults to EUR alone.
 * @returns the segments, and every problem of the file (YAML, shape, expressions, unknown names, cycles).
 */
export function compileSegments(
  source: string,
  file: string,
  money: MoneyContext = baseOnly(),
): { segments: Segments; issues: CampaignIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const issues = yamlIssues(doc, lines, file);
  const { parsed, names } = parseEntries(doc, source, lines, file, issues);
  const byParsedName = new Map(parsed.map((p) => [p.name, p]));

  const cyclic = new Set<string>();
  for (const cycle of findCycles(parsed.map((p) => ({ name: p.name, refs: segmentRefs(p.expr) })))) {
    cyclic.add(cycle.from);
    const message = `segment cycle ${cycle.path.join(" → ")}: a segment cannot include itself, even through others`;
    issues.push(byParsedName.get(cycle.from)!.at({ col: cycle.col, message }));
  }

  const byName = new Map<string, CompiledSegment>();
  const failed = new Set<string>(names.filter((name) => !byParsedName.has(name) || cyclic.has(name)));
  const compile = (segment: Parsed): void => {
    const lookup = (ref: string): SegmentRef => {
      const target = byParsedName.get(ref);
      if (target && !failed.has(ref) && !byName.has(ref)) compile(target);
      const compiled = byName.get(ref);
      if (compiled) return { kind: "found", condition: compiled.condition };
      // A segment that does not compile already has its own message.
      if (failed.has(ref)) return { kind: "skip" };
      return { kind: "error", message: unknownSegment(ref, names, "this file") };
    };
    const checked = checkExpression(segment.expr, lookup, money);
    issues.push(...checked.issues.map(segment.at));
    if (!checked.condition) {
      failed.add(segment.name);
      return;
    }
    const audience = audienceOf(segment.where, checked.condition);
    byName.set(segment.name, {
      ...audience,
      name: segment.name,
      ...(segment.description !== undefined && { description: segment.description }),
    });
  };
  for (const segment of parsed) if (!failed.has(segment.name) && !byName.has(segment.name)) compile(segment);

  // Keep the file's order.
  const ordered = new Map(
    names.flatMap((name) => (byName.has(name) ? [[name, byName.get(name)!] as const] : [])),
  );
  return { segments: { file, byName: ordered, broken: failed, money }, issues: issues.sort(byPosition) };
}

/**
 * Reads and compiles a segments.yaml:
 * ```yaml
 * vip:
 *   description: Customers who spent over 500 or ordered 5 times
 *   where: total_spent > 500 EUR or orders >= 5
 * quiet: last_purchase < now - 60d   # shorthand: the expression alone
 * ```
 * @param file Its path, as it should appear in messages.
 * @throws CampaignSyntaxError with every problem of the file, each at file:line:col.
 */
export async function loadSegments(file: string, money: MoneyContext = baseOnly()): Promise<Segments> {
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch (error) {
    throw new CampaignSyntaxError([
      { file, line: 1, col: 1, message: `cannot read the file: ${(error as Error).message}` },
    ]);
  }
  const { segments, issues } = compileSegments(source, file, money);
  if (issues.length > 0) throw new CampaignSyntaxError(issues);
  return segments;
}
