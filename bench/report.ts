import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DeliverDetails } from "./deliver.ts";
import type { EnqueueDetails } from "./enqueue.ts";
import type { FanOutDetails } from "./fanout.ts";
import type { Seeded } from "./seed.ts";

/** One line of the summary: our path against its ceiling, measured in the same run. */
export interface ResultRow {
  /** What was measured, e.g. "fan-out". */
  name: string;
  ours: number;
  ceiling: number;
  /** ours / ceiling: 1 means as fast as the raw engine, 0.1 a tenth of it. */
  ratio: number;
  /** Unit of `ours` and `ceiling`, e.g. "rows/s". */
  unit: string;
  /** What the ceiling is, in a few words. */
  vs: string;
}

/** Everything one run measured, as written to bench/results/<timestamp>.json. */
export interface BenchReport {
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; platform: string };
  options: Record<string, unknown>;
  /** The headline ratios, ours / ceiling. */
  ratios: { fanout: number; enqueue: number; deliver: number; deliverEmail: number };
  results: ResultRow[];
  details: { seeded: Seeded; fanout: FanOutDetails; enqueue: EnqueueDetails; deliver: DeliverDetails };
}

/** A row with its ratio computed. */
export function row(name: string, ours: number, ceiling: number, unit: string, vs: string): ResultRow {
  return { name, ours, ceiling, ratio: ceiling > 0 ? ours / ceiling : 0, unit, vs };
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

/** The summary table: name, ours, ceiling, ratio, unit, and what the ceiling is. */
export function summaryTable(results: readonly ResultRow[]): string {
  return table(
    ["benchmark", "ours", "ceiling", "ratio", "unit", "ceiling is"],
    results.map((r) => [r.name, int(r.ours), int(r.ceiling), r.ratio.toFixed(3), r.unit, r.vs]),
    "lrrrll",
  );
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
