import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { PGliteInterface, Transaction } from "@electric-sql/pglite";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { Cell } from "./rows.ts";

/** One session of SQL for an import: its TEMP tables live as long as it does. */
export interface ImportSql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[]; count: number }>;
  /** Appends rows to a table: `COPY … FROM STDIN` on PostgreSQL, multi-row INSERTs on PGlite. */
  load(table: string, columns: readonly string[], rows: readonly Cell[][]): Promise<void>;
  /**
   * Runs `fn` in one transaction, committed, or rolled back when `commit` is false. Inside another one (a dry
   * run is one transaction, rolled back at its end) it is a savepoint: what `fn` wrote stays for the statements
   * after it, and its `SET LOCAL`s end with it.
   */
  transaction<T>(commit: boolean, fn: (sql: ImportSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The database to import into: a PostgreSQL URL, or the embedded PGlite the process has open. */
export type ImportTarget = { kind: "postgres"; url: string } | { kind: "pglite"; pglite: PGliteInterface };

const TRACE = process.env.RAPPORT_IMPORT_TRACE === "1";

/** Ends a nested transaction's `SET LOCAL`s (a savepoint's release keeps them until the outer one ends). */
const RESTORE_SETTINGS =
  "SELECT set_config(name, reset_val, true) FROM pg_settings WHERE source = 'session' AND setting IS DISTINCT FROM reset_val";

/** A cell in COPY's text format: `\N` for null, backslash, tab and line breaks escaped. */
function copyCell(cell: Cell): string {
  if (cell === null) return "\\N";
  const text = typeof cell === "number" ? String(cell) : cell;
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : text;
}

/** COPY text lines, about 64 KB at a time. */
function* copyText(rows: readonly Cell[][]): Generator<string> {
  let chunk = "";
  for (const row of rows) {
    chunk += `${row.map(copyCell).join("\t")}\n`;
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

/** A session on PostgreSQL: one connection of its own (TEMP tables need one), loading with COPY. */
async function postgresSql(url: string): Promise<ImportSql> {
  const client = new pg.Client({ connectionString: url, options: "-c jit=off" });
  await client.connect();
  let depth = 0;
  const sql: ImportSql = {
    async query(text, params) {
      const started = performance.now();
      const result = await client.query(text, params as unknown[]);
      if (TRACE)
        process.stderr.write(
          `${(performance.now() - started).toFixed(0)} ms ${text.replace(/\s+/g, " ").slice(0, 90)}\n`,
        );
      return { rows: result.rows, count: result.rowCount ?? 0 };
    },
    async load(table, columns, rows) {
      if (rows.length === 0) return;
      const started = performance.now();
      const copy = client.query(copyFrom(`COPY ${table} (${columns.join(", ")}) FROM STDIN`));
      await pipeline(Readable.from(copyText(rows)), copy);
      if (TRACE) process.stderr.write(`${(performance.now() - started).toFixed(0)} ms COPY ${rows.length}\n`);
    },
    async transaction(commit, fn) {
      const savepoint = depth > 0 ? `import_${depth}` : undefined;
      await client.query(savepoint ? `SAVEPOINT ${savepoint}` : "BEGIN");
      depth++;
      try {
        const result = await fn(sql);
        if (!savepoint) await client.query(commit ? "COMMIT" : "ROLLBACK");
        else if (!commit) await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        else {
          await client.query(`RELEASE SAVEPOINT ${savepoint}`);
          await client.query(RESTORE_SETTINGS);
        }
        return result;
      } catch (error) {
        await client.query(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : "ROLLBACK").catch(() => {});
        throw error;
      } finally {
        depth--;
      }
    },
    close: () => client.end(),
  };
  return sql;
}

/** Rows per INSERT on PGlite: PostgreSQL takes at most 65 535 parameters a statement. */
const maxRowsPerInsert = (columns: number) => Math.max(1, Math.floor(30_000 / columns));

/** A session on PGlite (one connection, no COPY FROM STDIN): multi-row INSERTs with parameters. */
function pgliteSql(db: PGliteInterface | Transaction, root?: PGliteInterface): ImportSql {
  const sql: ImportSql = {
    async query(text, params) {
      const result = await db.query(text, params as unknown[]);
      return { rows: result.rows as never[], count: result.affectedRows ?? result.rows.length };
    },
    async load(table, columns, rows) {
      const size = maxRowsPerInsert(columns.length);
      for (let at = 0; at < rows.length; at += size) {
        const part = rows.slice(at, at + size);
        const values = part.map(
          (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`,
        );
        await db.query(
          `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${values.join(", ")}`,
          part.flat(),
        );
      }
    },
    async transaction(commit, fn) {
      if (!root) {
        // already inside one (PGlite's transactions do not nest): a dry run's, or the batch's own
        const result = await fn(sql);
        await db.query(RESTORE_SETTINGS);
        return result;
      }
      return root.transaction(async (tx) => {
        const result = await fn(pgliteSql(tx));
        if (!commit) await tx.rollback();
        return result;
      });
    },
    close: async () => {},
  };
  return sql;
}

/** Opens an import session on the target. */
export async function openImportSql(target: ImportTarget): Promise<ImportSql> {
  return target.kind === "postgres" ? postgresSql(target.url) : pgliteSql(target.pglite, target.pglite);
}
