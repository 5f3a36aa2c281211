/**
 * Import benchmark: `rapport import customers` (its core, workers/import, in a child process) of a generated
 * spreadsheet-like CSV against a raw `COPY … FROM STDIN (FORMAT csv)` of the same file into a bare table of
 * text columns, in the same run, alternating, median of several runs, at two sizes to show memory is flat.
 * Not a test: it prints rows/s, the ratio (import ÷ raw COPY) and the import's peak RSS, and writes them to
 * bench/results/import-<timestamp>.json.
 *
 *   npx tsx bench/import.ts                                 # 250 000 and 1 000 000 rows, 3 runs each
 *   IMPORT_BENCH_SIZES=50000 IMPORT_BENCH_RUNS=1 npx tsx bench/import.ts
 *
 * Needs PostgreSQL and Redis as bench/run.ts does (bench/scratch.ts): a database of its own, dropped at the end.
 */
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { from as copyFrom } from "pg-copy-streams";
import { createScratch } from "./scratch.ts";

const SIZES = (process.env.IMPORT_BENCH_SIZES ?? "250000,1000000").split(",").map(Number);
const RUNS = Number(process.env.IMPORT_BENCH_RUNS ?? 3);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const COLUMNS = [
  "customer_id",
  "email",
  "phone",
  "first_name",
  "last_name",
  "city",
  "country",
  "language",
  "loyalty_tier",
];

/**
 * A CSV as a shop's spreadsheet export has it: customer id, email, phone (60 % E.164, 40 % national numbers
 * with spaces or dashes, read with --country or the row's country), names (every 10th quoted with a comma),
 * city, country, language and one extra column that becomes an attribute. Deterministic.
 */
async function generate(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  const cities = [
    ["Warszawa", "PL", "pl"],
    ["Kraków", "PL", "pl"],
    ["Jakarta", "ID", "id"],
    ["Surabaya", "ID", "id"],
    ["London", "GB", "en"],
  ];
  async function* lines() {
    yield `${COLUMNS.join(",")}\n`;
    let chunk = "";
    for (let i = 1; i <= rows; i++) {
      const [city, country, language] = cities[i % cities.length]!;
      const national = i % 5 < 2;
      const phone =
        country === "PL"
          ? national
            ? `6${String(i)
                .padStart(8, "0")
                .replace(/(\d{2})(\d{3})(\d{3})/, "$1 $2 $3")}`
            : `+486${String(i).padStart(8, "0")}`
          : country === "ID"
            ? national
              ? `0812-${String(i)
                  .padStart(8, "0")
                  .replace(/(\d{4})(\d{4})/, "$1-$2")}`
              : `+62812${String(i).padStart(8, "0")}`
            : `+447700${String(i % 1_000_000).padStart(6, "0")}`;
      const last = i % 10 === 0 ? `"Nowak, ${i % 97}"` : `Kowalski${i % 97}`;
      chunk += `C${i},user${i}@example.com,${phone},Anna${i % 101},${last},${city},${country},${language},${i % 7 === 0 ? "gold" : "silver"}\n`;
      if (chunk.length > 1 << 16) {
        yield chunk;
        chunk = "";
      }
    }
    yield chunk;
  }
  await pipeline(lines, out);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function runChild(
  url: string,
  file: string,
  mode: "import" | "read" | "check" = "import",
): Promise<{ read: number; inserted: number; rejected: number; ms: number; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(HERE, "import-child.ts"), url, file, mode],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").pop()!))
        : reject(new Error(`import child exited ${code}`)),
    );
  });
}

let cleanup: (() => Promise<void>) | undefined;
process.once("SIGINT", () => void cleanup?.().finally(() => process.exit(130)));
const scratch = await createScratch((c) => {
  cleanup = c;
});
const dir = path.join(tmpdir(), `rapport-import-bench-${process.pid}`);
mkdirSync(dir, { recursive: true });
try {
  await scratch.sql.query(`CREATE TABLE raw_customers (${COLUMNS.map((c) => `${c} text`).join(", ")})`);
  const results = [];
  for (const size of SIZES) {
    const file = path.join(dir, `customers-${size}.csv`);
    await generate(file, size);
    const imports: number[] = [];
    const copies: number[] = [];
    const rss: number[] = [];
    const rawSql: number[] = [];
    const reads: number[] = [];
    const checks: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      await scratch.sql.query(`TRUNCATE "Customer", "Identity", "ConsentEvent" CASCADE`);
      await scratch.sql.query("CHECKPOINT");
      // the importer's JS side alone: csv-parse reading the file, then reading and checking every row
      const readOnly = await runChild(scratch.url, file, "read");
      const checked = await runChild(scratch.url, file, "check");
      if (readOnly.read !== size || checked.inserted !== size)
        throw new Error(`read ${readOnly.read}, checked ${checked.inserted} of ${size}`);
      reads.push(size / (readOnly.ms / 1000));
      checks.push(size / (checked.ms / 1000));
      const imported = await runChild(scratch.url, file);
      if (imported.read !== size || imported.inserted !== size)
        throw new Error(`import read ${imported.read}, inserted ${imported.inserted} of ${size}`);
      await scratch.sql.query("TRUNCATE raw_customers");
      await scratch.sql.query("CHECKPOINT");
      const started = performance.now();
      await pipeline(
        createReadStream(file),
        scratch.sql.query(copyFrom("COPY raw_customers FROM STDIN WITH (FORMAT csv, HEADER true)")),
      );
      const copyMs = performance.now() - started;
      // the same customers written by hand-written SQL from the copied rows: what the indexes of Customer and
      // Identity cost by themselves, with no parsing, checking or matching
      await scratch.sql.query(`TRUNCATE "Customer", "Identity", "ConsentEvent" CASCADE`);
      await scratch.sql.query("CHECKPOINT");
      const sqlStarted = performance.now();
      await scratch.sql.query("BEGIN");
      await scratch.sql.query(`INSERT INTO "Customer" ("externalId", email, phone, name, country, locale, attributes, source, "updatedAt")
        SELECT customer_id, email, phone, first_name || ' ' || last_name, country, language,
          jsonb_build_object('city', city, 'loyalty_tier', loyalty_tier), 'import', now() FROM raw_customers`);
      await scratch.sql.query(`INSERT INTO "Identity" (channel, "externalId", "customerId")
        SELECT 'email', email, id FROM "Customer"`);
      await scratch.sql.query("COMMIT");
      const sqlMs = performance.now() - sqlStarted;
      rawSql.push(size / ((copyMs + sqlMs) / 1000));
      imports.push(size / (imported.ms / 1000));
      copies.push(size / (copyMs / 1000));
      rss.push(imported.maxRssMb);
      console.log(
        `${size.toLocaleString("en")} rows, run ${run}: import ${Math.round(imports.at(-1)!).toLocaleString("en")} rows/s ` +
          `(${(imported.ms / 1000).toFixed(1)} s, peak RSS ${rss.at(-1)!.toFixed(0)} MB), raw COPY ${Math.round(copies.at(-1)!).toLocaleString("en")} rows/s, ` +
          `COPY + hand-written INSERTs ${Math.round(rawSql.at(-1)!).toLocaleString("en")} rows/s, ` +
          `csv-parse alone ${Math.round(reads.at(-1)!).toLocaleString("en")} rows/s, read + check ${Math.round(checks.at(-1)!).toLocaleString("en")} rows/s`,
      );
    }
    const result = {
      rows: size,
      fileMb: Number((statSync(file).size / 2 ** 20).toFixed(1)),
      importRowsPerS: Math.round(median(imports)),
      copyRowsPerS: Math.round(median(copies)),
      ratio: Number((median(imports) / median(copies)).toFixed(3)),
      copyAndInsertRowsPerS: Math.round(median(rawSql)),
      ratioToCopyAndInsert: Number((median(imports) / median(rawSql)).toFixed(3)),
      peakRssMb: Math.round(median(rss)),
      readRowsPerS: Math.round(median(reads)),
      readRatio: Number((median(reads) / median(copies)).toFixed(3)),
      checkRowsPerS: Math.round(median(checks)),
      checkRatio: Number((median(checks) / median(copies)).toFixed(3)),
      runs: {
        reads: reads.map(Math.round),
        checks: checks.map(Math.round),
        imports: imports.map(Math.round),
        copies: copies.map(Math.round),
        copyAndInsert: rawSql.map(Math.round),
        rss: rss.map(Math.round),
      },
    };
    results.push(result);
    rmSync(file);
  }
  console.log(
    "\n| rows | file | import rows/s | raw COPY rows/s | ratio | COPY + INSERTs rows/s | ratio | csv-parse alone rows/s | ratio | read + check rows/s | ratio | import peak RSS |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of results)
    console.log(
      `| ${r.rows.toLocaleString("en")} | ${r.fileMb} MB | ${r.importRowsPerS.toLocaleString("en")} | ${r.copyRowsPerS.toLocaleString("en")} | ${r.ratio} | ${r.copyAndInsertRowsPerS.toLocaleString("en")} | ${r.ratioToCopyAndInsert} | ${r.readRowsPerS.toLocaleString("en")} | ${r.readRatio} | ${r.checkRowsPerS.toLocaleString("en")} | ${r.checkRatio} | ${r.peakRssMb} MB |`,
    );
  const at = new Date().toISOString();
  const out = path.join(HERE, "results");
  mkdirSync(out, { recursive: true });
  const report = path.join(out, `import-${at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(report, `${JSON.stringify({ at, runs: RUNS, results }, null, 2)}\n`);
  console.log(`written to ${path.relative(process.cwd(), report)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await scratch.cleanup();
}
