import { DelayedError, type Job } from "bullmq";
import { type Db, Prisma } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";

/** A job's data, stamped with the installation that queued it (absent on jobs queued before stamping). */
export interface Stamped {
  installation?: string;
}

/** How long a refused job waits before some worker (the right installation's, one hopes) looks again. */
export const REFUSED_RECHECK_MS = 5_000;

/**
 * This database's installation id, created on first call (first start) and the same ever after, in every
 * process: concurrent first starts insert one row between them.
 */
export async function installationId(db: Db): Promise<string> {
  await db.$executeRaw(Prisma.sql`
    INSERT INTO "Installation" (singleton, id) VALUES (1, gen_random_uuid()) ON CONFLICT (singleton) DO NOTHING`);
  const row = await db.installation.findUniqueOrThrow({ where: { singleton: 1 }, select: { id: true } });
  return row.id;
}

/**
 * The BullMQ prefix of an installation: the configured one (RAPPORT_QUEUE_PREFIX), else `rapport:` and the
 * first 8 hex digits of its id, so installations sharing a Redis keep apart without any setting.
 */
export function queuePrefixOf(installation: string, configured?: string): string {
  return configured ?? `rapport:${installation.replace(/-/g, "").slice(0, 8)}`;
}

/** `data` stamped with the installation queueing it, when the queue context names one. */
export function stamp<T extends object>(queues: { installation?: string }, data: T): T & Stamped {
  return queues.installation ? { ...data, installation: queues.installation } : data;
}

/**
 * Wraps a processor so that it refuses a job another installation queued (possible only when two
 * installations share one configured RAPPORT_QUEUE_PREFIX): the job is logged as an error naming both
 * installations and the fix, and put back, delayed, unchanged and without spending an attempt, for the
 * installation it belongs to. Failing it would lose it for its owner; completing it, worse. Jobs without a
 * stamp (queued before stamping) are processed.
 */
export function refuseForeignJobs<T extends object, R>(
  installation: string | undefined,
  log: Logger,
  processor: (job: Job<T>, token?: string) => Promise<R>,
): (job: Job<T>, token?: string) => Promise<R> {
  if (!installation) return processor;
  return async (job, token) => {
    const owner = (job.data as Stamped).installation;
    if (owner === undefined || owner === installation) return processor(job, token);
    log.error(
      { queue: job.queueName, jobId: job.id, jobInstallation: owner, installation },
      `job ${job.id} on ${job.queueName} belongs to installation ${owner}, not to this one (${installation}): ` +
        "two installations share one Redis under the same RAPPORT_QUEUE_PREFIX. Left for its owner; unset " +
        "RAPPORT_QUEUE_PREFIX (each installation then uses rapport:<its id>) or give each its own.",
    );
    await job.moveToDelayed(Date.now() + REFUSED_RECHECK_MS, token);
    throw new DelayedError();
  };
}
