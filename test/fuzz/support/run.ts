import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll } from "vitest";

/**
 * How much to fuzz. Every run is reproducible: the seed is fixed unless FUZZ_SEED says otherwise, and
 * FUZZ_RUNS replaces each property's default number of runs (`FUZZ_RUNS=2000 FUZZ_SEED=7 npx vitest run test/fuzz`).
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_207);

/** The number of runs of a property: its default, or FUZZ_RUNS. */
export function runsOf(defaultRuns: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : defaultRuns;
}

/** Longest a property may run (shrinking included) before it stops with what it found. FUZZ_TIME_MS, ms. */
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 20_000);

const SUMMARY_FILE = path.resolve(import.meta.dirname, "../../artifacts/fuzz-summary.json");

/** What one fuzz file sent, per endpoint (or function): inputs tried and the answers they got. */
export interface AreaSummary {
  area: string;
  seed: number;
  /** Per endpoint: total inputs, and counts per HTTP status or outcome ("ok", "issue", "401", …). */
  targets: Record<string, { total: number; outcomes: Record<string, number> }>;
  /** Properties that failed, with their shrunk counterexample (truncated). */
  failures: string[];
  ms: number;
}

/**
 * The counters of one fuzz file. Call once at the top level: `afterAll` prints one line per target to stderr
 * and merges the file's numbers into test/artifacts/fuzz-summary.json, so a run's totals can be quoted.
 */
export function useFuzzSummary(area: string) {
  const started = Date.now();
  const summary: AreaSummary = { area, seed: FUZZ_SEED, targets: {}, failures: [], ms: 0 };
  afterAll(() => {
    summary.ms = Date.now() - started;
    const lines = Object.entries(summary.targets).map(
      ([target, { total, outcomes }]) =>
        `fuzz ${area} ${target}: ${total} inputs (${Object.entries(outcomes)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}: ${v}`)
          .join(", ")})`,
    );
    process.stderr.write(
      `${lines.join("\n")}\nfuzz ${area}: seed ${FUZZ_SEED}, ${summary.failures.length} failing properties, ${summary.ms} ms\n`,
    );
    mergeSummary(summary);
  });
  return {
    /** Counts one input sent to `target` and what came back. */
    count(target: string, outcome: string | number): void {
      summary.targets[target] ??= { total: 0, outcomes: {} };
      const entry = summary.targets[target];
      entry.total++;
      entry.outcomes[String(outcome)] = (entry.outcomes[String(outcome)] ?? 0) + 1;
    },
    failed(description: string): void {
      summary.failures.push(description);
    },
  };
}

export type FuzzSummary = ReturnType<typeof useFuzzSummary>;

/** Files run in parallel processes: a lock file keeps one writer at a time. */
function mergeSummary(summary: AreaSummary): void {
  mkdirSync(path.dirname(SUMMARY_FILE), { recursive: true });
  const lock = `${SUMMARY_FILE}.lock`;
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      continue;
    }
    try {
      let all: Record<string, AreaSummary> = {};
      try {
        all = JSON.parse(readFileSync(SUMMARY_FILE, "utf8"));
      } catch {
        // first writer, or a file from an older layout: start afresh
      }
      all[summary.area] = summary;
      writeFileSync(`${SUMMARY_FILE}.tmp`, `${JSON.stringify(all, null, 2)}\n`);
      renameSync(`${SUMMARY_FILE}.tmp`, SUMMARY_FILE);
    } finally {
      rmSync(lock, { force: true });
    }
    return;
  }
}

/** Each property's own seed, derived from the file's and its name, so two properties do not draw alike. */
function seedOf(name: string): number {
  let hash = FUZZ_SEED;
  for (const char of name) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/** A value as a short readable string for failure messages: long strings and deep bodies are cut. */
export function preview(value: unknown, max = 600): string {
  let text: string;
  try {
    text =
      typeof value === "string"
        ? JSON.stringify(value)
        : Buffer.isBuffer(value)
          ? `<${value.length} bytes> ${JSON.stringify(value.toString("utf8").slice(0, max))}`
          : JSON.stringify(value, (_key, inner) => {
              if (typeof inner === "bigint") return `${inner}n`;
              // a Buffer arrives here already as { type: "Buffer", data: [...] }: show its text instead
              if (inner?.type === "Buffer" && Array.isArray(inner.data)) {
                const bytes = Buffer.from(inner.data as number[]);
                return `<${bytes.length} bytes> ${bytes.toString("utf8", 0, Math.min(bytes.length, max))}`;
              }
              return inner;
            });
  } catch {
    text = String(value);
  }
  text ??= String(value);
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/**
 * Runs an async property with the file's seed and a time limit, and fails the test with the shrunk
 * counterexample cut to a readable size (fast-check's own report would print megabyte bodies).
 */
export async function checkProperty<T>(
  summary: FuzzSummary,
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  runs: number,
): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arbitrary, predicate), {
    seed: seedOf(name),
    numRuns: runsOf(runs),
    interruptAfterTimeLimit: TIME_LIMIT_MS,
  });
  if (!details.failed) return;
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const description = `${name}: ${error.split("\n")[0]} — counterexample ${preview(details.counterexample?.[0])} (seed ${details.seed}, path ${details.counterexamplePath}, after ${details.numRuns} runs and ${details.numShrinks} shrinks)`;
  summary.failed(description);
  throw new Error(description);
}

/** A synchronous property, same reporting as {@link checkProperty}. */
export function checkSyncProperty<T>(
  summary: FuzzSummary,
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => void,
  runs: number,
): void {
  const details = fc.check(fc.property(arbitrary, predicate), {
    seed: seedOf(name),
    numRuns: runsOf(runs),
    interruptAfterTimeLimit: TIME_LIMIT_MS,
  });
  if (!details.failed) return;
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const description = `${name}: ${error.split("\n")[0]} — counterexample ${preview(details.counterexample?.[0])} (seed ${details.seed}, path ${details.counterexamplePath}, after ${details.numRuns} runs and ${details.numShrinks} shrinks)`;
  summary.failed(description);
  throw new Error(description);
}
