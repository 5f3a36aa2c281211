import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { CountryCode } from "libphonenumber-js";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Redis } from "../../lib/redis.ts";
import { refuseForeignJobs, type Stamped, stamp } from "../installation.ts";
import { JOB_RETENTION, type QueueContext, queueFor, stallOptions } from "../queues.ts";
import type { ImportKind } from "./columns.ts";
import { MappingError } from "./columns.ts";
import { type ImportSummary, importRows } from "./index.ts";
import { InputError } from "./input.ts";
import { recordImport, rejectFile } from "./record.ts";
import type { ImportTarget } from "./sql.ts";

/** The queue of console imports: one job per uploaded file. */
export const QUEUE_IMPORT = "import";

/** A console import: the stored upload and how to read it. */
export interface ImportJob extends Stamped {
  /** The import's id (a UUID): its directory, its AuditLog rows' targetId and the job's id. */
  importId: string;
  /** Absolute path of the stored upload; its rejects go to `<path>.rejects.csv`. */
  path: string;
  /** The file's name as uploaded (format from its extension, and consent evidence). */
  name: string;
  /** The upload's size in bytes, for the progress bar. */
  size: number;
  kind: ImportKind;
  map: string[];
  country?: string;
  dryRun: boolean;
  staffUserId: string;
  /** The staff member's email, kept in the audit row. */
  actor: string;
}

/** What the job reports while it runs (`job.progress`). */
export interface ImportProgress {
  rows: number;
  bytes: number;
  size: number;
}

/** How often, at most, a running import writes its progress to Redis, in ms. */
const PROGRESS_EVERY_MS = 250;

/** The reject file of an upload. */
export const rejectsPathOf = (upload: string) => `${upload}.rejects.csv`;

/**
 * Queues an import; the job id is the import's, so starting it twice queues it once. A real failure (the
 * database away) is tried 3 times; a worker that dies mid-import hands the job on (stalled), and since
 * importing the same file again changes nothing, the next worker's run completes it.
 */
export async function enqueueImport(
  queues: QueueContext,
  job: Omit<ImportJob, "installation">,
): Promise<void> {
  await queueFor<ImportJob>(queues, QUEUE_IMPORT).add("import", stamp(queues, job), {
    jobId: importJobId(job.importId),
    attempts: 3,
    backoff: { type: "exponential", delay: 5_000 },
    ...JOB_RETENTION,
  });
}

/** The BullMQ job id of an import. */
export const importJobId = (importId: string) => `import-${importId}`;

export interface ImportWorkerDeps {
  db: Db;
  /** Where the rows go: the PostgreSQL URL, or the PGlite instance this process has open. */
  target: ImportTarget;
  log: Logger;
  now?: () => number;
}

/**
 * Runs one import: reads the upload through the importer's core, writes its rejects next to it and the
 * `import.<kind>` AuditLog row (once, even when a retry runs it again), and returns the summary. A file that
 * cannot be read (not CSV or JSON lines, a missing column) fails the job at once, with the reason as its
 * error and an `import.failed` AuditLog row.
 */
export function processImport(deps: ImportWorkerDeps) {
  const now = deps.now ?? Date.now;
  return async (job: Job<ImportJob>): Promise<ImportSummary> => {
    const data = job.data;
    const size = await stat(data.path).then(
      (s) => s.size,
      () => {
        throw new UnrecoverableError(`the upload ${data.name} is gone from the data directory`);
      },
    );
    const rejectsPath = rejectsPathOf(data.path);
    await rm(rejectsPath, { force: true }); // an earlier, interrupted run's list would mislead
    const rejects = rejectFile(rejectsPath);
    const input = createReadStream(data.path);
    let reported = 0;
    const at = new Date(now());
    try {
      const summary = await importRows(deps.target, input, {
        kind: data.kind,
        name: data.name,
        map: data.map,
        country: data.country as CountryCode | undefined,
        dryRun: data.dryRun,
        now: at,
        onReject: (r) => rejects.write(r),
        onProgress: ({ rows, bytes }) => {
          if (Date.now() - reported < PROGRESS_EVERY_MS) return;
          reported = Date.now();
          void job.updateProgress({ rows, bytes, size } satisfies ImportProgress).catch(() => {});
        },
      });
      await rejects.close();
      const done = await deps.db.auditLog.count({
        where: { targetType: "Import", targetId: data.importId, action: `import.${data.kind}` },
      });
      if (done === 0)
        await recordImport(deps.db, summary, {
          actor: data.actor,
          staffUserId: data.staffUserId,
          file: data.name,
          importId: data.importId,
          at,
        });
      return summary;
    } catch (error) {
      await rejects.close().catch(() => {});
      if (error instanceof InputError || error instanceof MappingError) {
        const reason =
          error instanceof InputError && error.line ? `line ${error.line}: ${error.message}` : error.message;
        await deps.db.auditLog.create({
          data: {
            actorType: "staff",
            staffUserId: data.staffUserId,
            action: "import.failed",
            targetType: "Import",
            targetId: data.importId,
            data: { actor: data.actor, file: data.name, kind: data.kind, reason },
            createdAt: at,
          },
        });
        throw new UnrecoverableError(reason);
      }
      throw error;
    } finally {
      input.destroy();
    }
  };
}

/** Starts the `import` worker: one import at a time per process (each is a long run of batches). */
export function startImportWorker(
  deps: ImportWorkerDeps & {
    connection: Redis;
    prefix: string;
    installation?: string;
    stalledIntervalMs?: number;
  },
): Worker<ImportJob> {
  const log = deps.log.child({ component: "import-worker" });
  const worker = new Worker<ImportJob>(
    QUEUE_IMPORT,
    refuseForeignJobs(deps.installation, log, processImport(deps)),
    {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: 1,
      ...stallOptions(deps.stalledIntervalMs),
      ...JOB_RETENTION,
    },
  );
  worker.on("failed", (job, error) => log.warn({ jobId: job?.id, err: error }, "import failed"));
  worker.on("error", (error) => log.error({ err: error }, "import worker error"));
  return worker;
}
