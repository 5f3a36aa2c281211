import { didYouMean } from "../suggest.ts";
import type { Audience } from "./audience.ts";
import type { SegmentLookup } from "./check.ts";
import { baseOnly, type MoneyContext } from "./money.ts";

/** One named segment of segments.yaml, compiled. Its `expression` is its `where`. */
export interface CompiledSegment extends Audience {
  readonly name: string;
  readonly description?: string;
}

/** The named segments of one segments.yaml. */
export interface Segments {
  /** The file they come from (even when it does not exist), for messages. */
  readonly file: string;
  /** The segments that compiled, by name, in file order. */
  readonly byName: ReadonlyMap<string, CompiledSegment>;
  /** Names the file defines that do not compile: a reference to one says so rather than "unknown". */
  readonly broken: ReadonlySet<string>;
  /** What bare `total_spent` is in, for these segments and the audiences that use them. */
  readonly money: MoneyContext;
}

/** No segments: what a campaigns folder without segments.yaml has. */
export function noSegments(file: string, money: MoneyContext = baseOnly()): Segments {
  return { file, byName: new Map(), broken: new Set(), money };
}

/** Names that may be defined in segments.yaml and referenced as `segment(name)`. */
export const SEGMENT_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** "unknown segment 'vipp' — did you mean 'vip'?", or where to define it when no name is close. */
export function unknownSegment(name: string, names: readonly string[], where: string): string {
  return `unknown segment '${name}'${didYouMean(name, names, `: define it in ${where}`)}`;
}

/** A message for a reference to a segment that is not among `segments`, or undefined when it is. */
export function segmentProblem(name: string, segments: Segments): string | undefined {
  if (segments.byName.has(name)) return undefined;
  if (segments.broken.has(name)) return `segment '${name}' does not compile: fix it in ${segments.file}`;
  return unknownSegment(name, [...segments.byName.keys(), ...segments.broken], segments.file);
}

/** Resolves `segment(name)` against compiled segments; with none given, takes every name on trust. */
export function segmentLookup(segments: Segments | undefined): SegmentLookup {
  return (name) => {
    if (!segments) return { kind: "skip" };
    const segment = segments.byName.get(name);
    if (segment) return { kind: "found", condition: segment.condition };
    return { kind: "error", message: segmentProblem(name, segments)! };
  };
}
