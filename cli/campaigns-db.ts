import type { Config } from "../lib/config.ts";
import {
  createDb,
  DataDirInUseError,
  type DbHandle,
  migrate,
  migrationStatus,
  redactUrl,
} from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import { CliError } from "./campaigns-context.ts";

/**
 * Opens the database for a campaigns command. The embedded PGlite database is migrated like `rapport start`
 * does (this process owns it); PostgreSQL is only checked, since migrating a shared server is `rapport db
 * migrate`'s decision.
 * @throws CliError when PGlite is held by a running Rapport, or PostgreSQL cannot be reached or has pending
 *   migrations.
 */
export async function openDatabase(config: Config, log: Logger): Promise<DbHandle> {
  let handle: DbHandle;
  try {
    handle = await createDb({ url: config.DATABASE_URL, dataDir: config.dataDir, log });
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new CliError(
        `the embedded database in ${error.dataDir} is in use by process ${error.pid} (rapport start?): stop it first, or set DATABASE_URL to a PostgreSQL server both can share`,
      );
    }
    throw error;
  }
  try {
    if (handle.kind === "pglite") {
      await migrate(handle, { log });
    } else {
      const status = await migrationStatus(handle.url).catch((error: unknown) => {
        const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
        throw new CliError(
          `cannot use the database at ${redactUrl(handle.url)}: ${reason} (is PostgreSQL running, and DATABASE_URL right?)`,
        );
      });
      if (status.pending.length > 0) {
        throw new CliError(
          `${redactUrl(handle.url)} has ${status.pending.length} pending migration(s): run \`rapport db migrate\` first`,
        );
      }
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
