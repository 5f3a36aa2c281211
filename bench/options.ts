import { parseArgs } from "node:util";

/** What one bench run does. */
export interface BenchOptions {
  /** Small sizes, for a smoke check. */
  quick: boolean;
  /** Customers seeded, and the fan-out's audience. Defaults to 50 000 (5 000 with --quick). */
  customers: number;
  /** Planned deliveries queued by the enqueue run. Defaults to the number of customers. */
  enqueue: number;
  /**
   * Deliveries per channel processed by the deliver runs. Defaults to a tenth of the customers, at most 5 000
   * (500 with --quick).
   */
  deliveries: number;
  /** Concurrency of both Telegram deliver workers, ours and raw. Defaults to 50. */
  concurrency: number;
  /**
   * Concurrency of both email deliver workers. Defaults to 5: the deliver worker runs min(concurrency,
   * channel.limit.max), and Resend's default limit is 5 requests/s, so that is what production runs.
   */
  emailConcurrency: number;
  /**
   * Times each line is measured, ours and its baselines alternating; every figure is the median of them, with
   * min and max. Defaults to 3 (1 with --quick).
   */
  runs: number;
  /**
   * Deliveries the fair Telegram baseline claims per statement. Defaults to 1: our Telegram line is one job
   * per message, so the baseline does the same unit of work per slot (see the README).
   */
  telegramClaim: number;
  /** Where the JSON goes. Defaults to bench/results/<timestamp>.json. */
  out: string | undefined;
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick            small sizes, for a smoke check (under a minute)
  --customers N      customers to seed and fan out to (default 50000; 5000 with --quick)
  --enqueue M        planned deliveries for the enqueue run (default: the customers)
  --deliveries K     deliveries per channel for the deliver runs (default customers/10, at most 5000;
                     at most 500 with --quick)
  --concurrency C    Telegram deliver worker concurrency, ours and raw (default 50)
  --email-concurrency E
                     email (batch) deliver worker concurrency, ours and raw (default 5, as Resend's
                     5 requests/s limit makes it in production)
  --runs N           measure each line N times, ours and its baselines alternating; figures are
                     medians with min and max (default 3; 1 with --quick)
  --telegram-claim B deliveries the fair Telegram baseline claims per statement (default 1: one
                     message per job, as ours)
  --out FILE         write the JSON here instead of bench/results/<timestamp>.json
  --help             this text

DATABASE_URL names the PostgreSQL server (default postgresql://postgres@127.0.0.1:5432), REDIS_URL the
Redis (default redis://127.0.0.1:6379). The bench creates its own database there and drops it at the end.`;

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replaceAll("_", ""));
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag} expects a whole number ≥ ${min}, got "${value}"`);
  return n;
}

/** Reads the command line. Throws with a message naming the flag when a value is wrong. */
export function parseOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      customers: { type: "string" },
      enqueue: { type: "string" },
      deliveries: { type: "string" },
      concurrency: { type: "string" },
      "email-concurrency": { type: "string" },
      runs: { type: "string" },
      "telegram-claim": { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return "help";
  const quick = values.quick ?? false;
  const customers = count(values.customers, "--customers", 100) ?? (quick ? 5_000 : 50_000);
  return {
    quick,
    customers,
    enqueue: count(values.enqueue, "--enqueue", 1) ?? customers,
    deliveries:
      count(values.deliveries, "--deliveries", 1) ?? Math.min(quick ? 500 : 5_000, Math.ceil(customers / 10)),
    concurrency: count(values.concurrency, "--concurrency", 1) ?? 50,
    emailConcurrency: count(values["email-concurrency"], "--email-concurrency", 1) ?? 5,
    runs: count(values.runs, "--runs", 1) ?? (quick ? 1 : 3),
    telegramClaim: count(values["telegram-claim"], "--telegram-claim", 1) ?? 1,
    out: values.out,
  };
}
