import pg from "pg";
import { withDatabase } from "../../lib/db/index.ts";

/** The admin connection of the test suite: it creates and drops the per-file databases. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** The migrated database every test file's database is copied from. Built by global-setup.ts. */
export const TEMPLATE_DB = "rapport_test_template";

/** Prefix of the per-file databases, so leftovers of a killed run are easy to find and drop. */
export const TEST_DB_PREFIX = "rapport_t_";

/** The URL of database `name` on the test server. */
export function testDatabaseUrl(name: string): string {
  return withDatabase(ADMIN_URL, name);
}

/** Runs `fn` with a fresh connection to the admin database, closed afterwards. */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach the test PostgreSQL at ${ADMIN_URL} (${(error as Error).message}): start PostgreSQL, ` +
        "or set TEST_DATABASE_URL to an admin connection of a server where this role may CREATE DATABASE",
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
