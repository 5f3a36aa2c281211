import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { afterAll, beforeAll } from "vitest";
import { createDb, type Db } from "../../lib/db/index.ts";
import { TEMPLATE_DB, TEST_DB_PREFIX, testDatabaseUrl, withAdmin } from "../setup/test-database.ts";

/** A test file's own PostgreSQL database, migrated. Read its fields inside tests or hooks, not at load time. */
export interface TestDatabase {
  /** `postgresql://…/rapport_t_<random>`: give it to code that opens its own connections. */
  readonly url: string;
  /** A Prisma client connected to it. */
  readonly db: Db;
}

/**
 * Creates a uniquely named database copied from the migrated template (a file copy on the server, ~100 ms),
 * or an empty one with `{ empty: true }` (for migration tests). Drop it with {@link dropTestDatabase}.
 * @returns its URL.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<string> {
  const name = `${TEST_DB_PREFIX}${randomBytes(8).toString("hex")}`;
  await withAdmin(async (admin) => {
    if (options.empty) {
      await admin.query(`CREATE DATABASE "${name}"`);
      return;
    }
    // Another session may still be leaving the template (the server copies only an idle one): retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${TEMPLATE_DB}"`);
        return;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "3D000") {
          throw new Error(
            `${TEMPLATE_DB} does not exist: run tests through vitest.config.ts, whose globalSetup builds it`,
          );
        }
        if (code !== "55006" || attempt === 20) throw error; // 55006: "source database is being accessed"
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  return testDatabaseUrl(name);
}

/** Drops a database made by {@link createTestDatabase}, closing any connection still open to it. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name.startsWith(TEST_DB_PREFIX)) throw new Error(`refusing to drop ${name}: not a test database`);
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/**
 * Gives the calling test file its own migrated PostgreSQL database, created in `beforeAll` from the template
 * that globalSetup built and dropped in `afterAll`. Call it once at the top level of the file.
 */
export function useTestDatabase(): TestDatabase {
  let state: { url: string; db: Db; close(): Promise<void> } | undefined;
  beforeAll(async () => {
    const url = await createTestDatabase();
    // dataDir is unused with a PostgreSQL URL; pass a harmless one.
    const handle = await createDb({ url, dataDir: tmpdir() });
    state = { url, db: handle.db, close: handle.close };
  });
  afterAll(async () => {
    if (!state) return;
    await state.close();
    await dropTestDatabase(state.url);
    state = undefined;
  });
  const current = () => {
    if (!state) throw new Error("useTestDatabase(): the database exists only inside tests and hooks");
    return state;
  };
  return {
    get url() {
      return current().url;
    },
    get db() {
      return current().db;
    },
  };
}
