import { type BenchReport, table } from "./report.ts";

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** Prints what lies behind the summary: fan-out phases and memory, enqueue in one call, deliver costs. */
export function printDetails({ fanout, enqueue, deliver }: BenchReport["details"]): void {
  const planShare = (phases: typeof fanout.phases) =>
    pct(phases.find((p) => p.phase.startsWith("sql: plan rows"))?.share ?? 0);
  console.log("\nfan-out, where the time went (whole audience):");
  console.log(
    table(
      ["phase", "ms", "calls", "share"],
      fanout.phases.map((p) => [p.phase, String(p.ms), String(p.calls || ""), pct(p.share)]),
      "lrrr",
    ),
  );
  console.log(`enqueueing (addBulk + marking rows queued): ${pct(fanout.enqueueShare)} of the fan-out`);
  console.log(
    `with jit = off: ${fanout.jitOff.ms} ms, the plan statement ${planShare(fanout.jitOff.phases)} of it ` +
      `(${planShare(fanout.phases)} with jit on), enqueueing ${pct(fanout.jitOff.enqueueShare)}`,
  );

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
    `\nenqueueDeliveries: ${Math.round(enqueue.deliveriesPerSecond)} deliveries/s in chunks of ${enqueue.chunk}; ` +
      `${Math.round(enqueue.oneCall.deliveriesPerSecond)} deliveries/s as one call of ${enqueue.oneCall.deliveries} ` +
      `(${enqueue.oneCall.ms} ms)`,
  );

  console.log("\ndeliver worker (CPU is this process's; PostgreSQL and Redis run beside it):");
  console.log(
    table(
      [
        "channel",
        "concurrency",
        "deliveries",
        "jobs",
        "wall ms",
        "CPU ms",
        "CPU ms each",
        "Prisma calls each",
        "outcomes",
      ],
      (["telegram", "email"] as const).map((name) => {
        const run = deliver[name];
        const calls = Object.values(run.dbCallsPerDelivery).reduce((a, b) => a + b, 0);
        return [
          name,
          String(deliver.concurrency[name]),
          String(run.deliveries),
          String(run.jobs),
          String(run.oursMs),
          String(run.oursCpuMs),
          (run.oursCpuMs / Math.max(run.deliveries, 1)).toFixed(2),
          calls.toFixed(2),
          Object.entries(run.outcomes)
            .map(([outcome, n]) => `${outcome} ${n}`)
            .join(", "),
        ];
      }),
      "lrrrrrrrl",
    ),
  );
}
