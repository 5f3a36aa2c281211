import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Runs `fn` and returns its value with the wall time it took, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/** Items per second. */
export const perSecond = (items: number, ms: number): number => (ms > 0 ? (items * 1000) / ms : 0);

/**
 * A full garbage collection, so a memory baseline is not yesterday's garbage. `npm run bench` cannot pass
 * `--expose-gc` to tsx, so the flag is set at run time and `gc` taken from a fresh context; a no-op where
 * that is refused.
 */
export const collectGarbage: () => void = (() => {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function") return () => gc();
  } catch {
    // no gc: baselines are just noisier
  }
  return () => {};
})();

/** Peaks of the process's memory while something ran, in MB. */
export interface MemoryPeak {
  /** heapUsed just before, after a full GC. */
  baselineHeapMb: number;
  peakHeapMb: number;
  /** peakHeapMb − baselineHeapMb: what the run itself held at most. */
  heapGrowthMb: number;
  peakRssMb: number;
  /** heapUsed after a full GC once the run is over, minus the baseline: what the run left behind. */
  retainedMb: number;
  samples: number;
}

const MB = 1024 * 1024;
const round1 = (n: number) => Math.round(n * 10) / 10;

/** Runs `fn` while sampling `process.memoryUsage()` every `everyMs` (default 50), and reports the peaks. */
export async function sampleMemory<T>(
  fn: () => Promise<T>,
  everyMs = 50,
): Promise<{ value: T; memory: MemoryPeak }> {
  collectGarbage();
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  let samples = 0;
  const sample = () => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
    samples++;
  };
  const timer = setInterval(sample, everyMs);
  try {
    const value = await fn();
    sample();
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    return {
      value,
      memory: {
        baselineHeapMb: round1(baseline.heapUsed / MB),
        peakHeapMb: round1(peakHeap / MB),
        heapGrowthMb: round1((peakHeap - baseline.heapUsed) / MB),
        peakRssMb: round1(peakRss / MB),
        retainedMb: round1((after - baseline.heapUsed) / MB),
        samples,
      },
    };
  } finally {
    clearInterval(timer);
  }
}
