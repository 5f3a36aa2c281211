import { createHash } from "node:crypto";
import { LineCounter, parseDocument } from "yaml";
import { type CampaignIssue, CampaignSyntaxError } from "../lib/errors.ts";
import { campaignIssues, KnownKeys } from "./issues.ts";
import { CampaignSchema, type CompiledCampaign } from "./schema.ts";
import { campaignSegmentIssues, type Segments } from "./segment/index.ts";
import { yamlIssues } from "./yaml-issues.ts";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function byPosition(a: CampaignIssue, b: CampaignIssue): number {
  return a.line - b.line || a.col - b.col;
}

/**
 * Compiles the YAML text of one campaign into its frozen plan.
 *
 * @param source The file's text.
 * @param file The file's name as it should appear in messages (`campaigns/win-back.yaml`).
 * @param segments The named segments `audience` and `segment_entered` may use (segments.yaml). Without them
 *   the audience's syntax, fields and types are still checked, but segment names are taken on trust.
 * @throws CampaignSyntaxError holding every problem of the file, YAML syntax, schema and audience alike,
 *   each with its line and column, sorted by position.
 */
export function compileCampaign(source: string, file: string, segments?: Segments): CompiledCampaign {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  const issues = yamlIssues(doc, lines, file);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // Only aliases make toJS throw (a missing anchor, an alias bomb); the missing anchor is reported above.
    if (issues.length === 0)
      issues.push({ file, line: 1, col: 1, message: `invalid YAML: ${(error as Error).message}` });
    throw new CampaignSyntaxError(issues.sort(byPosition));
  }

  // Check the schema even when the YAML is broken: the parser recovers, and the marketer sees all at once.
  const known = new KnownKeys();
  const result = CampaignSchema.safeParse(data, { error: known.errorMap });
  if (!result.success) {
    const broken = new Set(issues.map((issue) => issue.line));
    const schemaIssues = campaignIssues(result.error.issues, doc, lines, file, known, broken.size > 0);
    // A line the parser could not read already has its message; what the schema says of it is noise.
    issues.push(...schemaIssues.filter((issue) => !broken.has(issue.line)));
  }
  // One message per place: a segment name the schema already refused is not also "unknown".
  const taken = new Set(issues.map((issue) => `${issue.line}:${issue.col}`));
  const segmentIssues = campaignSegmentIssues(doc, source, lines, file, segments);
  issues.push(...segmentIssues.filter((issue) => !taken.has(`${issue.line}:${issue.col}`)));

  if (issues.length > 0 || !result.success) throw new CampaignSyntaxError(issues.sort(byPosition));
  const contentHash = createHash("sha256").update(source).digest("hex");
  return deepFreeze({ ...result.data, file, contentHash });
}
