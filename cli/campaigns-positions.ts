import { LineCounter, parseDocument } from "yaml";

/** A 1-based line and column. */
export interface LineCol {
  line: number;
  col: number;
}

/**
 * Where paths of keys start in a YAML text, e.g. `["message", "template"]` or `["variants", 1, "template"]`;
 * 1:1 when a path is not there. The text is parsed once, on the first lookup.
 */
export function yamlPositions(source: string): (path: readonly (string | number)[]) => LineCol {
  let parsed: { doc: ReturnType<typeof parseDocument>; lines: LineCounter } | undefined;
  return (path) => {
    if (!parsed) {
      const lines = new LineCounter();
      parsed = { doc: parseDocument(source, { lineCounter: lines }), lines };
    }
    const node = parsed.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : parsed.lines.linePos(offset);
  };
}

/** The `id:` of a campaign's YAML text, when it has a textual one, whatever else is wrong with the file. */
export function yamlCampaignId(source: string): string | undefined {
  try {
    const id = parseDocument(source).get("id");
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
