import type { Document, LineCounter } from "yaml";
import type { z } from "zod";
import type { CampaignIssue } from "../lib/errors.ts";
import { expected } from "./expected.ts";
import { locate, pairAt, positionOf } from "./positions.ts";
import { closest, didYouMean } from "./suggest.ts";

type ZodIssue = z.core.$ZodIssue;

/** Zod's type names in a marketer's words. */
const TYPE_NAMES: Record<string, string> = {
  object: "a map",
  record: "a map",
  array: "a list",
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

/** Records, per object path, the keys its schema allows: unknown-key messages suggest the closest one. */
export class KnownKeys {
  readonly #byPath = new Map<string, string[]>();

  /**
   * A zod error map for one parse: records the allowed keys of every map with an unknown key, and words
   * the type errors of schemas that have no message of their own for marketers ("expected a map, got 60d").
   */
  readonly errorMap = (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code === "unrecognized_keys") {
      const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
      this.#byPath.set(JSON.stringify(issue.path ?? []), Object.keys(shape ?? {}));
      return "unknown key";
    }
    if (issue.code === "invalid_type") {
      return expected(TYPE_NAMES[issue.expected] ?? issue.expected)(issue);
    }
    return undefined;
  };

  /** The keys allowed in the map at `path`. */
  at(path: readonly PropertyKey[]): string[] {
    return this.#byPath.get(JSON.stringify(path)) ?? [];
  }
}

function dotted(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) =>
      typeof segment === "number" ? `[${segment}]` : i ? `.${String(segment)}` : String(segment),
    )
    .join("");
}

/** Turns one zod issue into campaign issues at the YAML positions it is about. */
function toCampaignIssues(
  issue: ZodIssue,
  doc: Document,
  lines: LineCounter,
  file: string,
  known: KnownKeys,
): CampaignIssue[] {
  const path = issue.path as PropertyKey[];
  if (issue.code === "unrecognized_keys") {
    const allowed = known.at(path);
    const where = path.length ? ` in ${dotted(path)}` : "";
    return issue.keys.map((key) => {
      const hint = didYouMean(key, allowed, `: expected one of ${allowed.join(", ")}`);
      const pair = pairAt(doc, path, key);
      return {
        file,
        ...positionOf(pair?.key as never, lines),
        message: `unknown key '${key}'${where}${hint}`,
      };
    });
  }
  const { node, found } = locate(doc, path);
  const position = { file, ...positionOf(node, lines) };
  if (!found && path.length > 0) {
    const missing = String(path[path.length - 1]);
    const parent = path.length > 1 ? ` in ${dotted(path.slice(0, -1))}` : "";
    return [{ ...position, message: `missing key '${missing}'${parent}: ${issue.message}` }];
  }
  return [{ ...position, message: path.length ? `${dotted(path)}: ${issue.message}` : issue.message }];
}

/** Paths of the keys that a misspelt key most likely meant: "unknown key 'chanels'" explains "missing 'channels'". */
function meantKeys(issues: readonly ZodIssue[], known: KnownKeys): Set<string> {
  const meant = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== "unrecognized_keys") continue;
    for (const key of issue.keys) {
      const match = closest(key, known.at(issue.path as PropertyKey[]));
      if (match !== undefined) meant.add(JSON.stringify([...issue.path, match]));
    }
  }
  return meant;
}

/**
 * Every zod issue of a campaign as a positioned campaign issue. A missing key is not reported when a
 * misspelling of it is (one mistake, one message), nor when `brokenYaml` is set: the parser's recovery
 * from a syntax error often hides the keys that follow it.
 */
export function campaignIssues(
  issues: readonly ZodIssue[],
  doc: Document,
  lines: LineCounter,
  file: string,
  known: KnownKeys,
  brokenYaml: boolean,
): CampaignIssue[] {
  const meant = meantKeys(issues, known);
  return issues
    .filter((issue) => {
      const missing = issue.path.length > 0 && !locate(doc, issue.path as PropertyKey[]).found;
      return !(missing && (brokenYaml || meant.has(JSON.stringify(issue.path))));
    })
    .flatMap((issue) => toCampaignIssues(issue, doc, lines, file, known));
}
