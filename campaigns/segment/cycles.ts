import type { Expr } from "./ast.ts";

/** A `segment(name)` inside an expression, at the column of the name. */
export interface SegmentRefAt {
  name: string;
  col: number;
}

/** Every `segment(name)` an expression uses, in order. */
export function segmentRefs(expr: Expr): SegmentRefAt[] {
  switch (expr.kind) {
    case "and":
    case "or":
      return expr.items.flatMap(segmentRefs);
    case "not":
      return segmentRefs(expr.item);
    case "segment":
      return [{ name: expr.name, col: expr.nameCol }];
    default:
      return [];
  }
}

/** A reference that closes a cycle: `from` uses a segment that leads back to `from` along `path`. */
export interface Cycle {
  from: string;
  col: number;
  /** `[from, …, from]`, shortest first. */
  path: string[];
}

/** The shortest chain of references from `start` to `goal`, both included, or undefined. */
function shortestPath(graph: Map<string, SegmentRefAt[]>, start: string, goal: string): string[] | undefined {
  const cameFrom = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    if (node === goal) {
      const path: string[] = [];
      for (let at: string | null | undefined = node; at != null; at = cameFrom.get(at)) path.unshift(at);
      return path;
    }
    for (const ref of graph.get(node) ?? []) {
      if (!cameFrom.has(ref.name)) {
        cameFrom.set(ref.name, node);
        queue.push(ref.name);
      }
    }
  }
  return undefined;
}

/**
 * Every reference that lies on a cycle (a → b → a, or a → a), so that each segment of a cycle gets a message
 * at the place it continues it.
 */
export function findCycles(segments: Array<{ name: string; refs: SegmentRefAt[] }>): Cycle[] {
  const graph = new Map(segments.map((s) => [s.name, s.refs]));
  const cycles: Cycle[] = [];
  for (const { name, refs } of segments) {
    for (const ref of refs) {
      const back = graph.has(ref.name) ? shortestPath(graph, ref.name, name) : undefined;
      if (back) cycles.push({ from: name, col: ref.col, path: [name, ...back] });
    }
  }
  return cycles;
}
