/**
 * One measured import for bench/import.ts, in a process of its own so its peak RSS is the import's alone:
 * `tsx bench/import-child.ts <database url> <file> [import|read|check]` prints the summary and `maxRssMb` as
 * one JSON line.
 *
 * - `import` (the default): `importRows`, the whole importer.
 * - `read`: only reading the file into records (csv-parse, as the importer reads it): the ceiling of any
 *   importer built on the streaming parser the issue asks for.
 * - `check`: reading and checking every row as the importer does (zod, libphonenumber), without a database.
 */
import { createReadStream } from "node:fs";
import { mapColumns } from "../workers/import/columns.ts";
import { importRows } from "../workers/import/index.ts";
import { readRecords } from "../workers/import/input.ts";
import { stageRecord } from "../workers/import/rows.ts";

const [url, file, mode = "import"] = process.argv.slice(2);
if (!url || !file)
  throw new Error("usage: tsx bench/import-child.ts <database url> <file> [import|read|check]");

async function readOnly(file: string, check: boolean) {
  const started = Date.now();
  let read = 0;
  let inserted = 0;
  let mapping: ReturnType<typeof mapColumns> | undefined;
  const options = { now: new Date(), file, country: "PL" as const };
  for await (const record of readRecords(createReadStream(file), { name: file })) {
    read++;
    if (!check) continue;
    if ("error" in record) continue;
    mapping ??= mapColumns("customers", [...record.headers]);
    if (!stageRecord("customers", record, mapping, options).rejects) inserted++;
  }
  return { read, inserted: check ? inserted : read, rejected: 0, ms: Date.now() - started };
}

const summary =
  mode === "import"
    ? await importRows({ kind: "postgres", url }, createReadStream(file), {
        kind: "customers",
        name: file,
        country: "PL",
        ...(process.env.IMPORT_BENCH_BATCH && { batchSize: Number(process.env.IMPORT_BENCH_BATCH) }),
      })
    : await readOnly(file, mode === "check");
// process.resourceUsage().maxRSS is in kilobytes
console.log(
  JSON.stringify({ ...summary, columns: undefined, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);
