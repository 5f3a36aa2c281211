import type { Worker } from "bullmq";
import type { Scratch } from "./scratch.ts";

/** How a drained queue went. */
export interface Drained {
  /** From creating the worker to its `jobs`-th finished job. */
  ms: number;
  completed: number;
  failed: number;
}

/**
 * Starts a worker with `start` and times it until `jobs` jobs have completed (or failed), then closes it,
 * outside the timing. The first failure, if any, is thrown after closing: a run with failures measures
 * nothing worth printing.
 */
export async function drain(
  scratch: Scratch,
  jobs: number,
  start: () => Worker,
  timeoutMs = 600_000,
): Promise<Drained> {
  let completed = 0;
  let failed = 0;
  let firstError: Error | undefined;
  let workerError: Error | undefined;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = performance.now();
  const worker = scratch.hold(start());
  const check = () => {
    if (completed + failed >= jobs) finish();
  };
  worker.on("completed", () => {
    completed++;
    check();
  });
  // a worker without an "error" listener would crash the process on a lost connection
  worker.on("error", (error) => {
    workerError ??= error;
  });
  worker.on("failed", (_job, error) => {
    failed++;
    firstError ??= error;
    check();
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  check();
  const outcome = await Promise.race([done, timedOut]);
  const ms = performance.now() - started;
  clearTimeout(timer);
  await scratch.release(worker);
  if (outcome === "timeout") {
    throw new Error(
      `${worker.name}: ${completed + failed} of ${jobs} jobs done after ${timeoutMs} ms${firstError ? `; first failure: ${firstError.message}` : ""}${workerError ? `; worker error: ${workerError.message}` : ""}`,
    );
  }
  if (firstError) throw new Error(`${worker.name}: ${failed} of ${jobs} jobs failed: ${firstError.message}`);
  return { ms, completed, failed };
}
