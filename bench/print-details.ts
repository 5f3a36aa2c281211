import { type BenchReport, table } from "./report.ts";

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** Prints what lies behind the summary: fan-out phases and memory, enqueue in one call, deliver costs. */
export function printDetails({ fanout, enqueue, deliver }: BenchReport["details"]): void {
  console.log("\nfan-out, where the time went (the first whole-audience run):");
  console.log(
    table(
      ["phase", "ms", "calls", "share"],
      fanout.phases.map((p) => [p.phase, String(p.ms), String(p.calls || ""), pct(p.share)]),
      "lrrr",
    ),
  );
  console.log(`enqueueing (addBulk + marking rows queued): ${pct(fanout.enqueueShare)} of the fan-out`);

  console.log("\nfan-out memory (sampled every 50 ms; heap after a full GC before each run):");
  console.log(
    table(
      [
        "audience",
        "ms",
        "heap before MB",
        "heap peak MB",
        "peak − before",
        "rss peak MB",
        "left after GC MB",
      ],
      fanout.memory.map((m) =>
        [m.audience, m.ms, m.baselineHeapMb, m.peakHeapMb, m.heapGrowthMb, m.peakRssMb, m.retainedMb].map(
          String,
        ),
      ),
      "rrrrrrr",
    ),
  );

  console.log(
    `\nenqueueDeliveries: ${Math.round(enqueue.deliveriesPerSecond)} deliveries/s in chunks of ${enqueue.chunk} ` +
      `(${enqueue.addBulkCalls.ours} addBulk calls; the no-op ceiling makes ${enqueue.addBulkCalls.noop}); ` +
      `${Math.round(enqueue.oneCall.deliveriesPerSecond)} deliveries/s as one call of ${enqueue.oneCall.deliveries} ` +
      `(${enqueue.oneCall.ms} ms)`,
  );

  console.log(
    "\ndeliver, ours against the fair baseline, per run (CPU is this process's; PostgreSQL and Redis run beside it):",
  );
  console.log(
    table(
      [
        "channel",
        "run",
        "concurrency",
        "deliveries",
        "jobs",
        "ours ms",
        "ours CPU ms each",
        "Prisma calls each",
        "fair ms",
        "fair CPU ms each",
        "fair statements each",
        "outcomes (ours)",
      ],
      (["telegram", "email"] as const).flatMap((name) =>
        deliver[name].map((run, i) => {
          const calls = Object.values(run.dbCallsPerDelivery).reduce((a, b) => a + b, 0);
          const each = (n: number, of: number) => (n / Math.max(of, 1)).toFixed(2);
          return [
            name,
            String(i + 1),
            String(deliver.concurrency[name]),
            String(run.deliveries),
            String(run.jobs),
            String(run.oursMs),
            each(run.oursCpuMs, run.deliveries),
            calls.toFixed(2),
            String(run.fair.ms),
            each(run.fair.cpuMs, run.fair.sent),
            each(run.fair.statements, run.fair.sent),
            Object.entries(run.outcomes)
              .map(([outcome, n]) => `${outcome} ${n}`)
              .join(", "),
          ];
        }),
      ),
      "lrrrrrrrrrrl",
    ),
  );
}
