import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DeliverDetails } from "./deliver.ts";
import type { EnqueueDetails } from "./enqueue.ts";
import type { FanOutDetails } from "./fanout.ts";
import type { Seeded } from "./seed.ts";

/** One figure measured over several runs: the median, with the spread. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in the order measured. */
  runs: number[];
}

/** The median of `values`, with min and max. */
export function figure(values: readonly number[]): Figure {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length === 0
      ? Number.NaN
      : sorted.length % 2 === 1
        ? sorted[mid]!
        : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return {
    median,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    runs: [...values],
  };
}

/**
 * One line of the summary: our path against two references measured in the same run. The fair baseline is
 * the least work a correct system must do for the same result, written by hand (raw SQL, raw BullMQ); the
 * no-op ceiling is the engine alone (a no-op job, a bare table), what nothing can beat.
 */
export interface ResultRow {
  /** What was measured, e.g. "fan-out". */
  name: string;
  /** Unit of every figure, e.g. "rows/s". */
  unit: string;
  ours: Figure;
  fair: Figure;
  /** median(ours) / median(fair): 1 means as fast as the least a correct system must do. */
  fairRatio: number;
  /** What the fair baseline is, in a few words. */
  fairIs: string;
  noop: Figure;
  /** median(ours) / median(noop). */
  noopRatio: number;
  /** What the no-op ceiling is, in a few words. */
  noopIs: string;
}

/** Everything one run measured, as written to bench/results/<timestamp>.json. */
export interface BenchReport {
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; platform: string };
  /** The 1-minute load average at the start and at the end: how busy the machine was. */
  load: { start: number; end: number };
  options: Record<string, unknown>;
  /** The headline ratios, median(ours) / median(fair baseline). */
  ratios: { fanout: number; enqueue: number; deliver: number; deliverEmail: number };
  /** median(ours) / median(no-op ceiling), as the bench reported them before it had fair baselines. */
  noopRatios: { fanout: number; enqueue: number; deliver: number; deliverEmail: number };
  results: ResultRow[];
  details: { seeded: Seeded; fanout: FanOutDetails; enqueue: EnqueueDetails; deliver: DeliverDetails };
}

const ratioOf = (a: Figure, b: Figure) => (b.median > 0 ? a.median / b.median : 0);

/** A row with its ratios computed from the runs' values. */
export function row(
  name: string,
  unit: string,
  runs: { ours: number[]; fair: number[]; noop: number[] },
  fairIs: string,
  noopIs: string,
): ResultRow {
  const ours = figure(runs.ours);
  const fair = figure(runs.fair);
  const noop = figure(runs.noop);
  return {
    name,
    unit,
    ours,
    fair,
    fairRatio: ratioOf(ours, fair),
    fairIs,
    noop,
    noopRatio: ratioOf(ours, noop),
    noopIs,
  };
}

/** The machine the figures come from. */
export function machine(): BenchReport["machine"] {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

const int = (n: number) => Math.round(n).toLocaleString("en");

/** A plain-text table; `align` has one letter per column, "l" or "r" (numbers). */
export function table(header: string[], rows: string[][], align: string): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (align[i] === "r" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** "1,234 (1,100–1,300)": the median, and min–max when there was more than one run. */
export function showFigure(f: Figure): string {
  return f.runs.length > 1 ? `${int(f.median)} (${int(f.min)}–${int(f.max)})` : int(f.median);
}

/** The summary table: line, ours, fair baseline, ratio, no-op ceiling, ratio, unit. */
export function summaryTable(results: readonly ResultRow[]): string {
  return table(
    ["line", "ours", "fair baseline", "ratio", "no-op ceiling", "ratio", "unit"],
    results.map((r) => [
      r.name,
      showFigure(r.ours),
      showFigure(r.fair),
      r.fairRatio.toFixed(3),
      showFigure(r.noop),
      r.noopRatio.toFixed(3),
      r.unit,
    ]),
    "lrrrrrl",
  );
}

/** What each line's baselines are, one line each. */
export function baselineLegend(results: readonly ResultRow[]): string {
  return results.map((r) => `${r.name}: fair = ${r.fairIs}; no-op = ${r.noopIs}`).join("\n");
}

/** Writes the report as JSON to `file`, creating its folder. */
export function writeReport(report: BenchReport, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}

/** bench/results/<timestamp>.json, with a timestamp safe in file names. */
export function defaultReportPath(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  return fileURLToPath(new URL(`./results/${stamp}.json`, import.meta.url));
}
