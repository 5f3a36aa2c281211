import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { CountryCode } from "libphonenumber-js";
import {
  type ImportKind,
  type ImportSummary,
  type ImportTarget,
  InputError,
  importRows,
  MappingError,
  recordImport,
  rejectFile,
} from "../workers/import/index.ts";
import { CliError, type DbCommandContext } from "./campaigns-context.ts";
import { formatCount, formatDuration } from "./format.ts";
import { createProgress } from "./progress.ts";

/** Exit code of an import that loaded the good rows and rejected some (listed in the reject file). */
export const EXIT_SOME_REJECTED = 3;

export interface ImportCommandOptions {
  kind: ImportKind;
  /** A path, or `-` for stdin. */
  file: string;
  map?: string[];
  dryRun?: boolean;
  delimiter?: string;
  format?: "csv" | "jsonl";
  country?: string;
  /** Where the rejected rows go; defaults to `<file>.rejects.csv` (`import-<kind>.rejects.csv` for stdin). */
  rejects?: string;
  batchSize?: number;
  /** stdin, for `-` (tests give their own). */
  stdin?: Readable;
}

/** `rows/s` of a summary. */
const rate = (s: ImportSummary) => (s.ms > 0 ? Math.round(s.read / (s.ms / 1000)) : s.read);

/** The one-line summary: read, inserted, updated, unchanged, rejected, time, rows/s. */
export function summaryLine(s: ImportSummary, rejectsPath: string | undefined): string {
  const parts = [
    `${formatCount(s.read)} read`,
    `${formatCount(s.inserted)} ${s.kind === "customers" ? "new" : "inserted"}`,
    ...(s.kind === "customers" ? [`${formatCount(s.updated)} updated`] : []),
    `${formatCount(s.unchanged)} unchanged`,
    `${formatCount(s.rejected)} rejected${s.rejected > 0 && rejectsPath ? ` (see ${rejectsPath})` : ""}`,
  ];
  if (s.customersCreated > 0) parts.push(`${formatCount(s.customersCreated)} new customers`);
  if (s.joined > 0) parts.push(`${formatCount(s.joined)} rows were more items of an order`);
  return `${s.dryRun ? "dry run, nothing written: would have " : ""}${parts.join(", ")} in ${formatDuration(s.ms)} (${formatCount(rate(s))} rows/s)`;
}

/**
 * `rapport import <kind> <file>`: loads a CSV or JSONL file (gzipped or not, or stdin) through the importer's
 * core, writing rejected rows to the reject file, a progress bar on a terminal, the summary on stdout and an
 * audit row (not for a dry run, which writes nothing).
 * @returns the exit code: 0 when every row loaded, {@link EXIT_SOME_REJECTED} when some were rejected.
 */
export async function runImportCommand(
  ctx: DbCommandContext,
  target: ImportTarget,
  options: ImportCommandOptions,
): Promise<number> {
  const fromStdin = options.file === "-";
  let size: number | undefined;
  if (!fromStdin) {
    try {
      const info = await stat(options.file);
      if (!info.isFile()) throw new CliError(`${options.file}: not a file`);
      size = info.size;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  }
  const country = options.country?.toUpperCase();
  if (country !== undefined && !/^[A-Z]{2}$/.test(country))
    throw new CliError(`--country ${options.country}: expected a two-letter country code such as PL or ID`);
  if (options.delimiter !== undefined && options.delimiter.replace("\\t", "\t").length !== 1)
    throw new CliError(`--delimiter ${options.delimiter}: expected one character (, ; | or \\t)`);
  const rejectsPath =
    options.rejects ?? (fromStdin ? `import-${options.kind}.rejects.csv` : `${options.file}.rejects.csv`);
  await rm(rejectsPath, { force: true }); // a list from an earlier run would mislead
  const rejects = rejectFile(rejectsPath);
  const input = fromStdin ? (options.stdin ?? process.stdin) : createReadStream(options.file);
  const name = fromStdin ? "stdin" : options.file;
  const progress = ctx.out.stderr.isTTY ? createProgress({ stream: ctx.out.stderr }) : undefined;
  progress?.start(`importing ${options.kind}`, size);
  const now = new Date(ctx.clock.now());
  let summary: ImportSummary;
  try {
    summary = await importRows(target, input, {
      kind: options.kind,
      name,
      format: options.format,
      delimiter: options.delimiter?.replace("\\t", "\t"),
      map: options.map,
      country: country as CountryCode | undefined,
      dryRun: options.dryRun,
      batchSize: options.batchSize,
      now,
      onReject: (r) => rejects.write(r),
      onProgress: ({ rows, bytes }) =>
        progress?.update(size === undefined ? rows : bytes, `${formatCount(rows)} rows`),
    });
  } catch (error) {
    progress?.finish();
    if (error instanceof InputError)
      throw new CliError(`${name}${error.line ? `:${error.line}` : ""}: ${error.message}`);
    if (error instanceof MappingError) throw new CliError(`${name}:1: ${error.message}`);
    throw error;
  } finally {
    await rejects.close();
    if (!fromStdin) input.destroy();
  }
  progress?.finish();
  const mapped = summary.columns.map((c) => `${c.column} → ${c.target}`).join(", ");
  if (mapped) ctx.out.stderr.write(`columns: ${mapped}\n`);
  ctx.out.stdout.write(`${name}: ${summaryLine(summary, rejectsPath)}\n`);
  if (!summary.dryRun)
    await recordImport(ctx.db, summary, { actor: ctx.actor ?? "cli", file: name, at: now });
  return summary.rejected > 0 ? EXIT_SOME_REJECTED : 0;
}
