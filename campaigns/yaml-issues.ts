import { type Document, type LineCounter, visit } from "yaml";
import type { CampaignIssue } from "../lib/errors.ts";

/** How to fix the YAML mistakes marketers make most, by the parser's error code. */
const HINTS: Record<string, string> = {
  BLOCK_AS_IMPLICIT_KEY: `put a value that contains ": " in quotes, e.g. name: "Sale: 20% off"`,
  DUPLICATE_KEY: "each key may appear once in a map: remove or merge the repeated one",
  TAB_AS_INDENT: "indent with spaces, not tabs",
  BAD_INDENT: "check the indentation and that every [ and { is closed",
  MISSING_CHAR: "close the quote; to write a ' inside '…', double it: 'it''s'",
};

/** Every YAML syntax problem of a parsed document (including aliases to missing anchors), at its position. */
export function yamlIssues(doc: Document, lines: LineCounter, file: string): CampaignIssue[] {
  const issues: CampaignIssue[] = doc.errors.map((error) => {
    const hint = HINTS[error.code];
    return {
      file,
      ...lines.linePos(error.pos[0]),
      message: `invalid YAML: ${error.message}${hint ? `: ${hint}` : ""}`,
    };
  });
  visit(doc, {
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) {
        issues.push({
          file,
          ...lines.linePos(alias.range?.[0] ?? 0),
          message: `invalid YAML: *${alias.source} refers to no &${alias.source} anchor above it`,
        });
      }
    },
  });
  return issues;
}
