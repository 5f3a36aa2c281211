import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import type { Db } from "../lib/db/index.ts";
import {
  type ImportKind,
  type ImportProgress,
  type ImportSummary,
  importJobId,
  QUEUE_IMPORT,
  type QueueContext,
  queueFor,
  rejectsPathOf,
} from "../workers/index.ts";
import type { ImportUploads } from "./deps.ts";

/**
 * The console's imports on disk and in the audit log: each upload is `<dir>/<id>/upload` (the id a UUID, the
 * only part of the path that comes from a request, and checked), its rejects `upload.rejects.csv` beside it;
 * the `import.upload` AuditLog row (targetType `Import`, targetId the id) keeps its name, kind and size, and the
 * job's `import.<kind>` or `import.failed` row its outcome, so every console process sees every import.
 */

/** An import id as it appears in a URL: a UUID, else nothing on disk is looked at. */
export const ImportId = z.uuid();

/** What the page of one import shows. */
export interface ImportRun {
  id: string;
  kind: ImportKind;
  name: string;
  size: number;
  createdAt: Date;
  staffUserId: string | null;
  state: "uploaded" | "queued" | "running" | "done" | "failed";
  progress?: ImportProgress & { percent: number };
  summary?: Omit<ImportSummary, "columns" | "kind">;
  reason?: string;
  hasRejects: boolean;
}

/** The upload's path: `<dir>/<id>/upload`. */
export const uploadPathOf = (uploads: ImportUploads, id: string) => path.join(uploads.dir, id, "upload");

/** The file an upload was too large for (more than `maxBytes`). */
export class UploadTooLargeError extends Error {
  override name = "UploadTooLargeError";
}

/**
 * Streams an uploaded file to disk under a new id, never holding it in memory whole. A stream that ends
 * truncated (the multipart limit) or longer than `maxBytes` leaves nothing behind and throws
 * {@link UploadTooLargeError}.
 */
export async function storeUpload(
  uploads: ImportUploads,
  file: Readable & { truncated?: boolean },
): Promise<{ id: string; path: string; size: number }> {
  const id = randomUUID();
  const target = uploadPathOf(uploads, id);
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await pipeline(file, createWriteStream(target, { flags: "wx" }));
    const { size } = await stat(target);
    if (file.truncated || size > uploads.maxBytes)
      throw new UploadTooLargeError(`over ${uploads.maxBytes} bytes`);
    return { id, path: target, size };
  } catch (error) {
    await rm(path.dirname(target), { recursive: true, force: true });
    throw error;
  }
}

/** Deletes an upload and its rejects. */
export async function removeUpload(uploads: ImportUploads, id: string): Promise<void> {
  await rm(path.dirname(uploadPathOf(uploads, ImportId.parse(id))), { recursive: true, force: true });
}

/** Deletes the imports older than `keepDays` (their folders' times); run after each upload. */
export async function removeOldImports(uploads: ImportUploads, now: number): Promise<number> {
  const names = await readdir(uploads.dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!ImportId.safeParse(name).success) continue;
    const folder = path.join(uploads.dir, name);
    const info = await stat(folder).catch(() => undefined);
    if (info && now - info.mtimeMs > uploads.keepDays * 86_400_000) {
      await rm(folder, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

const UploadData = z.object({ kind: z.string(), file: z.string(), size: z.number() });
const SummaryData = z.object({
  read: z.number(),
  inserted: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  rejected: z.number(),
  customersCreated: z.number(),
  /** Rows that added items to an order of an earlier row (line-item files); older summaries have none. */
  joined: z.number().default(0),
  ms: z.number(),
  dryRun: z.boolean().default(false),
});

/** Writes the `import.upload` AuditLog row: the import exists from now on. */
export async function recordUpload(
  db: Db,
  entry: { id: string; kind: ImportKind; name: string; size: number; staffUserId: string; at: Date },
): Promise<void> {
  await db.auditLog.create({
    data: {
      actorType: "staff",
      staffUserId: entry.staffUserId,
      action: "import.upload",
      targetType: "Import",
      targetId: entry.id,
      data: { kind: entry.kind, file: entry.name, size: entry.size },
      createdAt: entry.at,
    },
  });
}

/** One import as its page shows it, or undefined when there is no such import. */
export async function findImport(
  db: Db,
  queues: QueueContext,
  uploads: ImportUploads,
  id: string,
): Promise<ImportRun | undefined> {
  if (!ImportId.safeParse(id).success) return undefined;
  const rows = await db.auditLog.findMany({
    where: { targetType: "Import", targetId: id },
    orderBy: { createdAt: "asc" },
  });
  return runOf(rows, queues, uploads);
}

/** The latest imports, newest first. */
export async function recentImports(
  db: Db,
  queues: QueueContext,
  uploads: ImportUploads,
  limit = 20,
): Promise<ImportRun[]> {
  const uploaded = await db.auditLog.findMany({
    where: { targetType: "Import", action: "import.upload" },
    orderBy: { createdAt: "desc" },
    take: limit,
    select: { targetId: true },
  });
  const ids = uploaded.flatMap((u) => (u.targetId ? [u.targetId] : []));
  const rows = await db.auditLog.findMany({
    where: { targetType: "Import", targetId: { in: ids } },
    orderBy: { createdAt: "asc" },
  });
  const runs = await Promise.all(
    ids.map((id) =>
      runOf(
        rows.filter((r) => r.targetId === id),
        queues,
        uploads,
      ),
    ),
  );
  return runs.flatMap((r) => (r ? [r] : []));
}

type AuditRow = Awaited<ReturnType<Db["auditLog"]["findMany"]>>[number];

async function runOf(
  rows: AuditRow[],
  queues: QueueContext,
  uploads: ImportUploads,
): Promise<ImportRun | undefined> {
  const upload = rows.find((r) => r.action === "import.upload");
  const data = UploadData.safeParse(upload?.data);
  if (!upload?.targetId || !data.success) return undefined;
  const id = upload.targetId;
  const run: ImportRun = {
    id,
    kind: data.data.kind as ImportKind,
    name: data.data.file,
    size: data.data.size,
    createdAt: upload.createdAt,
    staffUserId: upload.staffUserId,
    state: "uploaded",
    hasRejects: await stat(rejectsPathOf(uploadPathOf(uploads, id))).then(
      (s) => s.isFile(),
      () => false,
    ),
  };
  const result = rows.find((r) => r.action === `import.${run.kind}`);
  const summary = SummaryData.safeParse(result?.data);
  if (summary.success) return { ...run, state: "done", summary: summary.data };
  const failed = rows.find((r) => r.action === "import.failed");
  if (failed) {
    const reason = (failed.data as { reason?: unknown } | null)?.reason;
    return { ...run, state: "failed", reason: typeof reason === "string" ? reason : undefined };
  }
  const job = await queueFor(queues, QUEUE_IMPORT).getJob(importJobId(id));
  if (!job) return run;
  const state = await job.getState();
  if (state === "failed") return { ...run, state: "failed", reason: job.failedReason };
  const progress = job.progress as Partial<ImportProgress> | number;
  if (state === "active" && typeof progress === "object" && typeof progress.bytes === "number") {
    const size = progress.size ?? run.size;
    const bytes = progress.bytes;
    const percent = size > 0 ? Math.min(100, Math.floor((bytes / size) * 100)) : 0;
    return { ...run, state: "running", progress: { rows: progress.rows ?? 0, bytes, size, percent } };
  }
  if (state === "completed") {
    // the summary row is written before the job completes; a completed job without one was a dry run's race
    const value = SummaryData.safeParse(job.returnvalue);
    if (value.success) return { ...run, state: "done", summary: value.data };
  }
  return { ...run, state: state === "active" ? "running" : "queued" };
}
