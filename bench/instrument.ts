import type { Queue } from "bullmq";
import type { Db, Prisma } from "../lib/db/index.ts";

/** One phase of a run: its time, how many calls, and its share of the run. */
export interface PhaseShare {
  phase: string;
  ms: number;
  calls: number;
  share: number;
}

/** Where time went inside a run, by named phase, in ms. */
export class Phases {
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();

  add(phase: string, ms: number): void {
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + ms);
    this.calls.set(phase, (this.calls.get(phase) ?? 0) + 1);
  }

  /** Each phase's ms, calls and share of `totalMs`, plus the rest ("in-process") as its own line. */
  breakdown(totalMs: number): PhaseShare[] {
    const rows = [...this.ms].map(([phase, ms]) => ({
      phase,
      ms: Math.round(ms),
      calls: this.calls.get(phase) ?? 0,
      share: ms / totalMs,
    }));
    const accounted = [...this.ms.values()].reduce((a, b) => a + b, 0);
    rows.push({
      phase: "in-process (JS, between calls)",
      ms: Math.round(totalMs - accounted),
      calls: 0,
      share: (totalMs - accounted) / totalMs,
    });
    return rows;
  }
}

/** The phase of a statement `fanOut` sends, from its text. */
function phaseOf(sql: string): string {
  const text = sql.replace(/\s+/g, " ").trim();
  if (text.startsWith('SELECT count(*)::int AS total FROM "Customer"')) return "sql: count the audience";
  if (text.startsWith('SELECT c.id FROM "Customer"')) return "sql: read a chunk of ids (keyset)";
  if (text.startsWith('INSERT INTO "Coupon"') || text.includes("AS missing")) return "sql: unique() coupons";
  if (text.startsWith('INSERT INTO "Delivery"')) return "sql: plan rows (INSERT … SELECT)";
  if (text.startsWith(`UPDATE "Delivery" SET status = 'queued'`)) return "enqueue: mark rows queued";
  if (text.includes("status = 'planned' AND id >")) return "sql: sweep planned rows";
  return "sql: other";
}

/**
 * The same client, with every `$queryRaw` / `$executeRaw` timed into `phases` by what the statement does.
 * A Proxy rather than a change to the engine: the bench measures the code as shipped. Only for code that
 * awaits those calls directly (fanOut does): they now return plain promises, not the lazy Prisma promises
 * `$transaction([...])` needs (use {@link countingDb} around such code).
 */
export function timedDb(db: Db, phases: Phases): Db {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if ((prop !== "$queryRaw" && prop !== "$executeRaw") || typeof value !== "function") return value;
      return async (query: Prisma.Sql) => {
        const started = performance.now();
        try {
          return await (value as (q: Prisma.Sql) => Promise<unknown>).call(target, query);
        } finally {
          phases.add(phaseOf(query.sql), performance.now() - started);
        }
      };
    },
  });
}

/**
 * Times every `addBulk` of `queue` (a producer instance `queueFor` hands the engine) into `phases`.
 * @returns a function that puts the original method back.
 */
export function timeAddBulk(queue: Queue, phases: Phases): () => void {
  const original = queue.addBulk;
  const timedAddBulk: Queue["addBulk"] = async (jobs) => {
    const started = performance.now();
    try {
      return await original.call(queue, jobs);
    } finally {
      phases.add("enqueue: addBulk (Redis)", performance.now() - started);
    }
  };
  queue.addBulk = timedAddBulk;
  return () => {
    queue.addBulk = original;
  };
}

const COUNTED_MODELS = new Set(["delivery", "suppression", "interaction", "customer", "coupon"]);

/**
 * The same client, counting its calls by name ("delivery.findUnique", "$queryRaw", "$transaction") into
 * `counts`. Results are handed back untouched (a Prisma promise stays lazy and usable in `$transaction`),
 * so this is safe around code that batches calls; it counts, it does not time.
 */
export function countingDb(db: Db, counts: Map<string, number>): Db {
  const count = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  const counting = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(inner, prop) {
        const value = Reflect.get(inner, prop) as unknown;
        if (typeof prop !== "string") return value;
        if (typeof value === "function") {
          return (...args: unknown[]) => {
            count(`${prefix}${prop}`);
            return (value as (...a: unknown[]) => unknown).apply(inner, args);
          };
        }
        if (prefix === "" && COUNTED_MODELS.has(prop) && typeof value === "object" && value !== null) {
          return counting(value, `${prop}.`);
        }
        return value;
      },
    });
  return counting(db, "");
}
