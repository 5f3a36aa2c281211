import { createWriteStream, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { stringify } from "csv-stringify";
import type { Db } from "../../lib/db/index.ts";
import type { ImportSummary } from "./index.ts";
import type { Reject } from "./rows.ts";

/** A reject file being written: `write` each reject as found, `close` at the end (also after a failure). */
export interface RejectFile {
  write(reject: Reject): void;
  /** Flushes and closes the file; resolves when it is on disk. Safe when nothing was written. */
  close(): Promise<void>;
  /** How many rejects were written. */
  readonly count: number;
}

/**
 * The reject file (`line,column,value,reason` with a header line), created on the first reject only, so an
 * import without rejects leaves no file. The CLI writes it next to the file; the console's job next to the upload.
 */
export function rejectFile(path: string): RejectFile {
  let out: ReturnType<typeof stringify> | undefined;
  let file: WriteStream | undefined;
  let count = 0;
  return {
    write(reject) {
      if (!out) {
        file = createWriteStream(path);
        out = stringify({ header: true, columns: ["line", "column", "value", "reason"] });
        out.pipe(file);
      }
      count++;
      out.write([reject.line, reject.column, reject.value, reject.reason]);
    },
    async close() {
      if (!out || !file) return;
      out.end();
      await finished(file);
    },
    get count() {
      return count;
    },
  };
}

/** Who ran an import and on what, for its audit row. */
export interface ImportAudit {
  /** `cli:<user>`, or the staff member's email for a console upload. */
  actor: string;
  /** The staff member who started it from the console. */
  staffUserId?: string;
  /** The file's name as the person gave it. */
  file: string;
  /** The console's import id (the AuditLog row's targetId, so its page finds the summary). */
  importId?: string;
  at: Date;
}

/**
 * The AuditLog row of a finished import, `import.<kind>`, with the summary's counts: the CLI and the console's
 * job both write it. A console import's row (targetType `Import`, targetId its id) is also where its page
 * reads the summary after the job is gone from Redis.
 */
export async function recordImport(db: Db, summary: ImportSummary, audit: ImportAudit): Promise<void> {
  await db.auditLog.create({
    data: {
      actorType: audit.staffUserId ? "staff" : "system",
      staffUserId: audit.staffUserId ?? null,
      action: `import.${summary.kind}`,
      targetType: audit.importId ? "Import" : null,
      targetId: audit.importId ?? null,
      data: {
        actor: audit.actor,
        file: audit.file,
        read: summary.read,
        inserted: summary.inserted,
        updated: summary.updated,
        unchanged: summary.unchanged,
        rejected: summary.rejected,
        customersCreated: summary.customersCreated,
        ms: summary.ms,
        dryRun: summary.dryRun,
      },
      createdAt: audit.at,
    },
  });
}
