import { migrate, migrationsChecksum } from "../../lib/db/index.ts";
import { TEMPLATE_DB, testDatabaseUrl, withAdmin } from "./test-database.ts";

// Any constant works: it only has to be the same for every vitest run on this server.
const TEMPLATE_LOCK_KEY = 7_326_981;

/**
 * Vitest global setup: makes sure `rapport_test_template` holds the current migrations, once per run. The
 * template's comment records the checksum of the migrations it was built from; a match is reused (~20 ms),
 * anything else (changed migrations, a half-built template) is dropped and rebuilt. An advisory lock keeps two
 * concurrent vitest runs from building it at the same time.
 */
export default async function setup(): Promise<void> {
  const started = Date.now();
  const checksum = migrationsChecksum();
  const marker = `rapport migrations ${checksum}`;
  const rebuilt = await withAdmin(async (admin) => {
    await admin.query("SELECT pg_advisory_lock($1)", [TEMPLATE_LOCK_KEY]);
    try {
      const { rows } = await admin.query<{ comment: string | null }>(
        "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
        [TEMPLATE_DB],
      );
      if (rows[0]?.comment === marker) return false;
      await admin.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DB}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
      await migrate(testDatabaseUrl(TEMPLATE_DB));
      // Written last: a run killed mid-migration leaves no marker, so the next run rebuilds.
      await admin.query(`COMMENT ON DATABASE "${TEMPLATE_DB}" IS '${marker}'`);
      return true;
    } finally {
      await admin.query("SELECT pg_advisory_unlock($1)", [TEMPLATE_LOCK_KEY]);
    }
  });
  if (process.env.RAPPORT_TEST_TIMINGS) {
    console.error(`test template ${rebuilt ? "built" : "reused"} in ${Date.now() - started} ms`);
  }
}
