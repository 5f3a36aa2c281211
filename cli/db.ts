import path from "node:path";
import {
  createMigration,
  DataDirInUseError,
  migrate,
  migrationStatus,
  parseDatabaseUrl,
  redactUrl,
  resetDatabase,
} from "../lib/db/index.ts";
import { exitWith, loadEnvironment } from "./env.ts";

/** What `rapport db …` can do. */
export type DbCommand = "migrate" | "status" | "new" | "reset" | "reset-refused";

/** Runs one `rapport db` sub-command against DATABASE_URL, or the embedded PGlite database when unset. */
export async function runDbCommand(command: DbCommand, name?: string): Promise<void> {
  const { config, log } = loadEnvironment();
  const url = config.DATABASE_URL ?? `pglite:${path.join(config.dataDir, "pglite")}`;
  const where = redactUrl(url);
  const kind = parseDatabaseUrl(url).kind;
  try {
    if (command === "reset-refused") {
      exitWith(`rapport db reset erases every row in ${where}: run it again with --force if you mean it.`);
    }
    if (command === "migrate") {
      const applied = await migrate(url, { log: log.child({ component: "migrate" }) });
      process.stdout.write(
        applied.length
          ? `Applied ${applied.length} migration(s) to ${where}:\n${applied.map((m) => `  ${m}\n`).join("")}`
          : `${where} is up to date: no pending migrations.\n`,
      );
    } else if (command === "status") {
      const status = await migrationStatus(url);
      const lines = [`Database: ${where} (${kind})`, status.upToDate ? "Up to date." : "Not up to date:"];
      for (const [label, list] of Object.entries({
        "pending (run `rapport db migrate`)": status.pending,
        "failed (fix, then reset or roll back by hand)": status.failed,
        "edited after being applied": status.edited,
        "applied but missing from prisma/migrations": status.unknown,
      })) {
        if (list.length) lines.push(`  ${label}:`, ...list.map((m) => `    ${m}`));
      }
      process.stdout.write(`${lines.join("\n")}\n`);
      if (!status.upToDate) process.exitCode = 1;
    } else if (command === "new") {
      const result = await createMigration(url, name ?? "migration", { log });
      process.stdout.write(
        result.created
          ? `Wrote prisma/migrations/${result.created}/migration.sql and applied it to ${where}.\n`
          : "schema.prisma matches the migrations: nothing to write.\n",
      );
    } else if (command === "reset") {
      const applied = await resetDatabase(url, { log });
      process.stdout.write(`Reset ${where} and applied ${applied.length} migration(s).\n`);
    }
  } catch (error) {
    if (error instanceof DataDirInUseError) exitWith(`rapport db: ${error.message}`);
    throw error;
  }
}
