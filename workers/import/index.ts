/**
 * # The importer's core: `rapport import` and the console upload both call it
 *
 * ```ts
 * const summary = await importRows(target, input, {
 *   kind: "customers",                       // customers | orders | events | consent | suppressions
 *   name: "klienci.csv",                     // the file's name: format (.csv/.jsonl, .gz ignored) and evidence
 *   map: ["Nr klienta=externalId"],          // --map column=field (field, attributes.<name>, ignore)
 *   country: "PL",                           // region of national phone numbers
 *   dryRun: false,                           // true: everything is checked and counted, then rolled back
 *   batchSize: 5_000,                        // rows per staging batch, each its own transaction
 *   now: new Date(),
 *   onReject: (reject) => rejectsCsv.write(reject),   // { line, column, value, reason }
 *   onProgress: ({ rows, bytes }) => job.updateProgress(bytes / size),
 * });
 * // summary: { read, inserted, updated, unchanged, rejected, customersCreated, joined, ms, columns, ignored }
 * ```
 *
 * - `target` is `{ kind: "postgres", url }` (the importer opens one connection of its own: its TEMP tables
 *   and COPY need one) or `{ kind: "pglite", pglite }` (the instance the process has open: `DbHandle.pglite`).
 * - `input` is any byte stream: a file, stdin, an upload. CSV (delimiter sniffed from the header line, quoted
 *   fields, UTF-8 with or without BOM) or JSON lines, gzipped or not (magic bytes). Not UTF-8 → {@link InputError}.
 * - A file that cannot be read at all throws {@link InputError} (with `.line`) or {@link MappingError} (a
 *   `--map` or missing required columns); nothing of it is written after the batch that failed.
 * - Rows are read and checked in JS, then loaded a batch at a time through a TEMP staging table (COPY on
 *   PostgreSQL, multi-row INSERT on PGlite) and merged set-based (workers/import/load.ts): memory stays flat.
 * - Orders may come one row per line item (Shopify's orders export): the rows of one order id are one order
 *   (workers/import/orders.ts); `inserted`/`unchanged` count orders, `joined` the rows that added items to one.
 * - A dry run is one transaction over every batch, rolled back at the end: its counts are the real import's.
 * - The caller writes the AuditLog row (it knows who imported) with {@link recordImport}, and the reject file with
 *   {@link rejectFile}: the CLI (cli/import.ts) and the console's job (workers/import/job.ts) both do.
 * - {@link previewImport} reads the first rows only, for a mapping preview before the job starts.
 */
import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import { type ColumnMapping, type ImportKind, MappingError, mapColumns } from "./columns.ts";
import { type InputFormat, type RawRecord, readRecords } from "./input.ts";
import { createStaging, dropStaging, loadBatch } from "./load.ts";
import { OrderBatch, orderIdOf } from "./orders.ts";
import { type Cell, type Fields, type Reject, type RowOptions, stageRecord } from "./rows.ts";
import { type ImportSql, type ImportTarget, openImportSql } from "./sql.ts";

export { aliasesOf, fieldsOf, IMPORT_KINDS, type ImportKind, MappingError } from "./columns.ts";
export { InputError } from "./input.ts";
export { type ImportAudit, type RejectFile, recordImport, rejectFile } from "./record.ts";
export type { Reject } from "./rows.ts";
export type { ImportTarget } from "./sql.ts";

export interface ImportOptions {
  kind: ImportKind;
  /** The file's name (format from its extension; kept as consent evidence). */
  name?: string;
  format?: InputFormat;
  delimiter?: string;
  /** `column=field` overrides of the header mapping. */
  map?: string[];
  /** Region of phone numbers written without a country code (a row's own country column wins). */
  country?: CountryCode;
  /** Check and count everything, write nothing (one transaction, rolled back). */
  dryRun?: boolean;
  /** Rows per batch (each its own transaction). Defaults to 5 000: peak memory stays under 300 MB. */
  batchSize?: number;
  now?: Date;
  /** Each rejected cell or row, as found (not in line order). */
  onReject?: (reject: Reject) => void;
  /** After each batch and as bytes are read. */
  onProgress?: (progress: { rows: number; bytes: number }) => void;
}

/** What an import did. */
export interface ImportSummary {
  kind: ImportKind;
  /** Data rows read (the header not counted). */
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows not loaded (each with one or more lines in the reject file). */
  rejected: number;
  /** Customers made for orders, events or consent rows naming one not known yet. */
  customersCreated: number;
  /** Orders: rows that added their items to the order of an earlier row (one row per line item). */
  joined: number;
  ms: number;
  /** How the header mapped: each column and the field, `attributes.<name>`/`properties.<name>` or `ignored`. */
  columns: { column: string; target: string }[];
  dryRun: boolean;
}

/** Fields a file must have a column for, per kind (at least one of each inner list). */
const REQUIRED: Record<ImportKind, string[][]> = {
  customers: [["externalId", "email", "phone"]],
  orders: [["orderId"], ["total"], ["currency"], ["occurredAt"], ["externalId", "email", "phone"]],
  events: [["type"], ["occurredAt"], ["externalId", "email", "phone"]],
  consent: [["channel"], ["status"], ["externalId", "email", "phone"]],
  suppressions: [["address"]],
};

/** Maps a header, refusing a CSV that lacks a required column (JSON lines are checked row by row). */
function mappingFor(
  kind: ImportKind,
  headers: readonly string[],
  map: string[],
  csv: boolean,
): ColumnMapping {
  const mapping = mapColumns(kind, [...headers], map);
  if (csv) {
    const present = new Set(mapping.targets.flatMap((t) => ("field" in t ? [t.field] : [])));
    for (const need of REQUIRED[kind]) {
      if (!need.some((f) => present.has(f)))
        throw new MappingError(
          `no column for ${need.join(" or ")} (the header has: ${headers.join(", ")}); name one with --map column=${need[0]}`,
        );
    }
  }
  return mapping;
}

const describe = (mapping: ColumnMapping, headers: readonly string[], kind: ImportKind) =>
  headers.map((column, i) => {
    const t = mapping.targets[i]!;
    const target =
      "field" in t
        ? t.field
        : "extra" in t
          ? `${kind === "customers" ? "attributes" : "properties"}.${t.extra}`
          : "ignored";
    return { column, target };
  });

/** Reads, checks and loads a file: see the module's comment. */
export async function importRows(
  target: ImportTarget,
  input: Readable,
  options: ImportOptions,
): Promise<ImportSummary> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const kind = options.kind;
  const batchSize = options.batchSize ?? 5_000;
  const rowOptions: RowOptions = { now, file: options.name ?? "stdin", country: options.country };
  const summary: ImportSummary = {
    kind,
    read: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    customersCreated: 0,
    joined: 0,
    ms: 0,
    columns: [],
    dryRun: options.dryRun === true,
  };
  const reject = (r: Reject) => options.onReject?.(r);
  let bytes = 0;
  const sql = await openImportSql(target);
  try {
    // a dry run is one transaction, rolled back at its end: each batch sees what the earlier ones would have
    // written (a customer made on line 2 is the one line 9 names), so its counts are the real import's
    return summary.dryRun ? await sql.transaction(false, run) : await run(sql);
  } finally {
    await sql.close();
  }

  async function run(sql: ImportSql): Promise<ImportSummary> {
    const staging = await createStaging(sql, kind);
    const mappings = new Map<string, ColumnMapping>();
    let columnOf: (field: string) => string = (f) => f;
    let inflight: Promise<void> | undefined;
    /** Loads a batch; `joined`: per staged order line, the later lines of that order (line-item files). */
    const flush = (rows: Cell[][], joined?: Map<number, number[]>) =>
      loadBatch(sql, staging, rows, { now, file: rowOptions.file, commit: true, columnOf }).then((counts) => {
        summary.inserted += counts.inserted;
        summary.updated += counts.updated;
        summary.unchanged += counts.unchanged;
        summary.customersCreated += counts.customersCreated;
        summary.rejected += counts.rejects.length; // one a line: duplicates and conflicts
        for (const r of counts.rejects) {
          reject(r);
          for (const line of joined?.get(r.line) ?? []) {
            summary.rejected++;
            reject({ line, column: "", value: "", reason: `not loaded with its order: see line ${r.line}` });
          }
          joined?.delete(r.line);
        }
        for (const lines of joined?.values() ?? []) summary.joined += lines.length;
        options.onProgress?.({ rows: summary.read, bytes });
      });
    const send = async (rows: Cell[][], joined?: Map<number, number[]>) => {
      await inflight;
      inflight = flush(rows, joined);
      inflight.catch(() => {}); // awaited before the next batch or at the end
    };
    let batch: Cell[][] = [];
    // orders: the rows of one order id become one order with their items (orders.ts)
    const orders = kind === "orders" ? new OrderBatch(rowOptions, reject) : undefined;
    const records = readRecords(input, {
      name: options.name,
      format: options.format,
      delimiter: options.delimiter,
      onBytes: (n) => {
        bytes = n;
      },
      onFormat: (format) => {
        csv = format === "csv";
      },
    });
    let csv = false;
    for await (const record of records) {
      summary.read++;
      const mapping = mappingOf(record);
      if (orders) {
        // never between two rows of one order
        if (orders.full(record, mapping, batchSize)) {
          const { rows, joined } = orders.take();
          await send(rows, joined);
        }
        summary.rejected += orders.add(record, mapping);
        continue;
      }
      const staged = stageRecord(kind, record, mapping, rowOptions);
      if (staged.rejects) {
        summary.rejected++;
        for (const r of staged.rejects) reject(r);
      } else batch.push(staged.row);
      if (batch.length >= batchSize) {
        const full = batch;
        batch = [];
        await send(full);
      }
    }
    await inflight;
    if (orders) {
      const { rows, joined } = orders.take();
      if (rows.length > 0) await flush(rows, joined);
    } else if (batch.length > 0) await flush(batch);
    await dropStaging(sql, staging);
    summary.ms = Date.now() - started;
    return summary;

    function mappingOf(record: RawRecord): ColumnMapping {
      if ("error" in record) return { targets: [], ignored: [] };
      const key = record.headers.join("\u0000");
      let mapping = mappings.get(key);
      if (!mapping) {
        mapping = mappingFor(kind, record.headers, options.map ?? [], csv);
        if (mappings.size < 1_000) mappings.set(key, mapping);
        if (summary.columns.length === 0) {
          summary.columns = describe(mapping, record.headers, kind);
          const headerOf = new Map(summary.columns.map((c) => [c.target, c.column]));
          columnOf = (field) => headerOf.get(field) ?? field;
        }
      }
      return mapping;
    }
  }
}

/** A cell as the preview shows it: text as is, a JSON value as JSON, nothing as "". */
const cellText = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);

/**
 * The first `limit` rows of a file as the import would read them, without touching the database: the column
 * mapping, and per row its cells (as text, in header order) and why it would be rejected. For the console's mapping preview.
 */
export async function previewImport(
  input: Readable,
  options: Pick<ImportOptions, "kind" | "name" | "format" | "delimiter" | "map" | "country" | "now">,
  limit = 5,
): Promise<{
  columns: { column: string; target: string }[];
  rows: { line: number; ok: boolean; rejects: Reject[]; values: string[] }[];
}> {
  const rowOptions: RowOptions = {
    now: options.now ?? new Date(),
    file: options.name ?? "upload",
    country: options.country,
  };
  const rows: { line: number; ok: boolean; rejects: Reject[]; values: string[] }[] = [];
  let columns: { column: string; target: string }[] = [];
  // orders: a later row of an order is read with the cells of its first row it leaves empty, as importRows does
  const firstRows = new Map<string, Fields>();
  for await (const record of readRecords(input, options)) {
    if ("error" in record)
      rows.push({
        line: record.line,
        ok: false,
        rejects: stageRecord(options.kind, record, { targets: [], ignored: [] }, rowOptions).rejects ?? [],
        values: [record.text],
      });
    else {
      const mapping = mapColumns(options.kind, [...record.headers], options.map ?? []);
      if (columns.length === 0) columns = describe(mapping, record.headers, options.kind);
      const orderId = options.kind === "orders" ? orderIdOf(record, mapping) : undefined;
      const order = orderId === undefined ? undefined : firstRows.get(orderId);
      const staged = stageRecord(options.kind, record, mapping, rowOptions, order);
      if (orderId !== undefined && !order && staged.fields) firstRows.set(orderId, staged.fields);
      rows.push({
        line: record.line,
        ok: !staged.rejects,
        rejects: staged.rejects ?? [],
        values: record.values.map(cellText),
      });
    }
    if (rows.length >= limit) break;
  }
  input.destroy();
  return { columns, rows };
}
