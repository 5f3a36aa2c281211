import type { Document, LineCounter } from "yaml";
import type { CampaignIssue } from "../../lib/errors.ts";
import { locate, positionOf } from "../positions.ts";
import { audienceIssues } from "./audience.ts";
import { type Segments, segmentProblem } from "./segments.ts";
import { expressionNode, positionInScalar } from "./yaml-position.ts";

/**
 * The segment problems of one campaign file: every issue of its `audience` expression, at the line and column
 * of the character in the YAML, and a `segment_entered` trigger naming a segment that is not defined. With
 * `segments` undefined, segment names are not checked.
 */
export function campaignSegmentIssues(
  doc: Document,
  source: string,
  lines: LineCounter,
  file: string,
  segments: Segments | undefined,
): CampaignIssue[] {
  const issues: CampaignIssue[] = [];
  const audience = locate(doc, ["audience"]);
  const expression = audience.found ? expressionNode(audience.node) : undefined;
  // An empty audience is the schema's to report.
  if (expression && expression.value.trim() !== "") {
    for (const issue of audienceIssues(expression.value, segments)) {
      issues.push({
        file,
        ...positionInScalar(expression, issue.col, source, lines),
        message: `audience: ${issue.message}`,
      });
    }
  }
  const trigger = locate(doc, ["trigger", "segment_entered", "segment"]);
  const name = trigger.found ? expressionNode(trigger.node) : undefined;
  const problem = name && segments ? segmentProblem(name.value, segments) : undefined;
  if (problem) {
    issues.push({
      file,
      ...positionOf(trigger.node, lines),
      message: `trigger.segment_entered.segment: ${problem}`,
    });
  }
  return issues;
}
