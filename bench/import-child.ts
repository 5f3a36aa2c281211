/**
 * One measured import for bench/import.ts, in a process of its own so its peak RSS is the import's alone:
 * `tsx bench/import-child.ts <database url> <file>` prints the summary and `maxRssMb` as one JSON line.
 */
import { createReadStream } from "node:fs";
import { importRows } from "../workers/import/index.ts";

const [url, file] = process.argv.slice(2);
if (!url || !file) throw new Error("usage: tsx bench/import-child.ts <database url> <file>");
const summary = await importRows({ kind: "postgres", url }, createReadStream(file), {
  kind: "customers",
  name: file,
  country: "PL",
  ...(process.env.IMPORT_BENCH_BATCH && { batchSize: Number(process.env.IMPORT_BENCH_BATCH) }),
});
// process.resourceUsage().maxRSS is in kilobytes
console.log(
  JSON.stringify({ ...summary, columns: undefined, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);
