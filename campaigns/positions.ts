import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node, type Pair } from "yaml";

/** A 1-based line and column. */
export interface LineCol {
  line: number;
  col: number;
}

/** Where a path of keys and indexes lands in a YAML document. */
export interface Located {
  /** The deepest node reached: the value itself, or the map or list that lacks the next key. */
  node: Node | null;
  /** True when the whole path exists; false when it stops at a map without the key. */
  found: boolean;
}

function resolve(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return (node as Node | null) ?? null;
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

/** The map entry for `key` in the map at `path`, if the path leads to a map holding it. */
export function pairAt(doc: Document, path: readonly PropertyKey[], key: string): Pair | undefined {
  const { node, found } = locate(doc, path);
  if (!found || !isMap(node)) return undefined;
  return node.items.find((pair) => keyText(pair) === key);
}

/** Walks a YAML document along a path such as `["trigger", "inactive", "for"]` or `["channels", 1]`. */
export function locate(doc: Document, path: readonly PropertyKey[]): Located {
  let node = resolve(doc, doc.contents);
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p) === String(segment));
      if (!pair) return { node, found: false };
      // `key:` with nothing after it has no value node: point at the key.
      node = resolve(doc, pair.value) ?? resolve(doc, pair.key);
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
      node = resolve(doc, node.items[segment]);
    } else {
      return { node, found: false };
    }
  }
  return { node, found: true };
}

/** The line and column where a node starts, or 1:1 for an empty document. */
export function positionOf(node: Node | null | undefined, lines: LineCounter): LineCol {
  const offset = node?.range?.[0];
  return offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
}
