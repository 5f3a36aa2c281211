import { isScalar, type LineCounter, type Node, type Scalar } from "yaml";
import type { LineCol } from "../positions.ts";

/** The expression a YAML node holds, when it is a text scalar. */
export function expressionNode(node: Node | null): (Scalar & { value: string }) | undefined {
  return isScalar(node) && typeof node.value === "string" ? (node as Scalar & { value: string }) : undefined;
}

function matches(wanted: string, found: string | undefined): boolean {
  return found === wanted || (/\s/.test(wanted) && found !== undefined && /\s/.test(found));
}

/**
 * Where column `col` of the expression in a YAML scalar is in the file. Plain and quoted scalars map exactly:
 * each character of the value is found in the source in order, skipping quotes and escapes; a value folded
 * over several lines maps each of its spaces to the line break it came from.
 */
export function positionInScalar(
  node: Scalar & { value: string },
  col: number,
  source: string,
  lines: LineCounter,
): LineCol {
  const [start = 0, end = source.length] = node.range ?? [];
  const value = node.value;
  let at = start;
  for (let i = 0; i < Math.min(col, value.length + 1); i++) {
    const wanted = value[i];
    if (wanted === undefined) break; // the end of the expression: just after its last character
    let j = at;
    while (j < end && !matches(wanted, source[j])) j++;
    if (j >= end) break; // the source does not spell the value out (an escape like \n): stop here
    if (i === col - 1) return lines.linePos(j);
    at = j + 1;
  }
  return lines.linePos(at);
}
