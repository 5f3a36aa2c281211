import type { Db } from "../../lib/db/index.ts";

let seq = 0;

/**
 * Makes the test's own PostgreSQL refuse to insert rows of `table` whose `column` contains `marker` (a
 * trigger raising an error), so an item fails to store the way a real one does — inside the database, not
 * through a stubbed module. Returns a function that removes the refusal, as fixing the cause would.
 */
export async function refuseRows(
  db: Db,
  table: string,
  column: string,
  marker: string,
): Promise<() => Promise<void>> {
  seq += 1;
  const name = `refuse_${table.toLowerCase()}_${seq}`;
  const quoted = marker.replaceAll("'", "''");
  await db.$executeRawUnsafe(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF NEW."${column}"::text LIKE '%${quoted}%' THEN
         RAISE EXCEPTION 'refused by the test: % contains ${quoted}', '${column}';
       END IF;
       RETURN NEW;
     END $$`,
  );
  await db.$executeRawUnsafe(
    `CREATE TRIGGER ${name} BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION ${name}()`,
  );
  return async () => {
    await db.$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${name} ON "${table}"`);
    await db.$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${name}()`);
  };
}
