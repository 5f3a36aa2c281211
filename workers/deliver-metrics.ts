import type { Job, Worker } from "bullmq";
import { processMetrics } from "../lib/metrics.ts";

/**
 * Counts a deliver worker's jobs as they finish (rapport_send_attempts_total) and times them
 * (rapport_send_duration_seconds): `sent`, `skipped` (suppressed, no consent, archived…), `done_before` (a
 * job whose Delivery another worker already finished), `retry` (failed, to be tried again) or `failed` (for
 * good). Jobs put back to wait (a paused campaign, a shop not ready, a rate limit) finish neither way.
 */
export function observeSends(worker: Worker, channel: string): void {
  const time = (job: Job) => {
    if (job.processedOn && job.finishedOn) {
      processMetrics.sendSeconds.observe({ channel }, Math.max(0, job.finishedOn - job.processedOn) / 1_000);
    }
  };
  worker.on("completed", (job: Job, result: unknown) => {
    const kind = (result as { kind?: string } | undefined)?.kind ?? "sent";
    const outcome =
      kind === "sent"
        ? "sent"
        : kind === "done-before"
          ? "done_before"
          : kind === "failed"
            ? "failed"
            : "skipped";
    processMetrics.sendOutcomes.inc({ channel, outcome });
    time(job);
  });
  worker.on("failed", (job: Job | undefined, error: Error) => {
    if (!job) return;
    const final = error.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
    processMetrics.sendOutcomes.inc({ channel, outcome: final ? "failed" : "retry" });
    time(job);
  });
}
