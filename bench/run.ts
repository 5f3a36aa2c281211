/**
 * `npm run bench`: Rapport's hot paths against the raw BullMQ / raw SQL ceiling, measured in one run on one
 * machine and reported as ratios. See bench/README.md for what each line measures.
 */
import { loadavg } from "node:os";
import { redactUrl } from "../lib/db/index.ts";
import { benchDeliver } from "./deliver.ts";
import { benchEnqueue } from "./enqueue.ts";
import { benchFanOut } from "./fanout.ts";
import { type BenchOptions, parseOptions, USAGE } from "./options.ts";
import { printDetails } from "./print-details.ts";
import {
  type BenchReport,
  baselineLegend,
  defaultReportPath,
  machine,
  summaryTable,
  writeReport,
} from "./report.ts";
import { ADMIN_URL, createScratch, REDIS_URL } from "./scratch.ts";
import { seedCustomers } from "./seed.ts";

let cleanup: (() => Promise<void>) | undefined;
let stopping = false;

/**
 * Ends the run: drops the scratch database and queue keys, then exits with `code`. Whatever fails while
 * stopping (connections closing under running code) is expected and ignored; a second Ctrl+C leaves at once.
 */
function stop(code: number, message?: string): void {
  if (stopping) {
    if (code === 130) process.exit(130);
    return;
  }
  stopping = true;
  if (message) console.error(message);
  // code still running (a fan-out between two statements) fails as its connections close, and BullMQ
  // prints what its queues fail with: noise after the message above
  console.error = () => {};
  (cleanup?.() ?? Promise.resolve())
    .catch((error: unknown) => process.stderr.write(`cleanup failed: ${(error as Error).message}\n`))
    // exit now: the migration engine leaves a timer that would hold the process ~10 s more
    .finally(() => process.exit(code));
}

const describeError = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => stop(130, `\n${signal}: dropping the bench database and queues…`));
}
process.on("uncaughtException", (error) => stop(1, describeError(error)));
process.on("unhandledRejection", (error) => stop(1, describeError(error)));

async function main(options: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const started = performance.now();
  const host = machine();
  const loadAtStart = loadavg()[0] ?? 0;
  console.log(
    `rapport bench${options.quick ? " --quick" : ""}: ${options.customers} customers, ${options.enqueue} ` +
      `to enqueue, ${options.deliveries} to deliver per channel, ${options.runs} run(s) of each; ${host.cpus} × ${host.cpuModel}, node ${host.node}`,
  );
  console.log(`PostgreSQL ${redactUrl(ADMIN_URL)}, Redis ${REDIS_URL}`);
  const scratch = await createScratch((drop) => {
    cleanup = drop;
  });
  console.log(
    `scratch database ${new URL(scratch.url).pathname.slice(1)}, queue prefix ${scratch.queues.prefix}`,
  );
  const seeded = await seedCustomers(scratch.sql, options.customers);
  const fanout = await benchFanOut(scratch, options.customers, options.runs);
  const enqueue = await benchEnqueue(scratch, options.enqueue, options.runs);
  const deliver = await benchDeliver(scratch, options);
  const results = [...fanout.rows, ...enqueue.rows, ...deliver.rows];
  const ratios = (of: "fairRatio" | "noopRatio") => {
    const ratio = (name: string) => results.find((r) => r.name === name)?.[of] ?? Number.NaN;
    return {
      fanout: ratio("fan-out"),
      enqueue: ratio("enqueue"),
      deliver: ratio("deliver (telegram)"),
      deliverEmail: ratio("deliver (email, batches of 100)"),
    };
  };
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    machine: host,
    load: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    options: { ...options, out: undefined },
    ratios: ratios("fairRatio"),
    noopRatios: ratios("noopRatio"),
    results,
    details: { seeded, fanout: fanout.details, enqueue: enqueue.details, deliver: deliver.details },
  };
  printDetails(report.details);
  const runs = options.runs > 1 ? `medians of ${options.runs} runs (min–max)` : "one run each";
  console.log(
    `\nsummary (${runs}; ratio = ours / that column, all measured in this run; load average ` +
      `${report.load.start.toFixed(1)} at the start, ${report.load.end.toFixed(1)} at the end):\n` +
      `${summaryTable(results)}\n\n${baselineLegend(results)}`,
  );
  const file = options.out ?? defaultReportPath(startedAt);
  writeReport(report, file);
  console.log(`\nwritten to ${file} (${Math.round(report.durationMs / 1000)} s)`);
}

let options: BenchOptions | "help";
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === "help") {
  console.log(USAGE);
  process.exit(0);
}
main(options).then(
  () => stop(0),
  (error: unknown) => stop(1, describeError(error)),
);
