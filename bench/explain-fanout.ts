/**
 * `npx tsx bench/explain-fanout.ts [--customers N] [--chunk C] [--suppressions S]`: EXPLAIN (ANALYZE, BUFFERS) of the fan-out's
 * plan statement (`plannedRows` of workers/fanout-sql.ts, as `fanOut()` sends it) for one chunk of the bench's
 * promo campaign, on a scratch database seeded as `npm run bench` seeds it. Run in a transaction rolled back,
 * on a session with `jit = off` as `createDb` opens them. Prints the plan; the README quotes its key lines.
 */
import { parseArgs } from "node:util";
import { Prisma } from "../lib/db/index.ts";
import { DELIVERY_COLUMNS, plannedRows } from "../workers/fanout-sql.ts";
import { fanOutTarget, PROMO_YAML, ship } from "./campaigns.ts";
import { createScratch } from "./scratch.ts";
import { seedCustomers } from "./seed.ts";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "20000" },
    chunk: { type: "string", default: "2000" },
    // more suppressed addresses than the seed's ~0.5 %, as a brand with years of bounces has
    suppressions: { type: "string", default: "0" },
  },
});

let cleanup: (() => Promise<void>) | undefined;
async function main(): Promise<void> {
  const scratch = await createScratch((drop) => {
    cleanup = drop;
  });
  await seedCustomers(scratch.sql, Number(values.customers));
  const shipped = await ship(scratch.db, PROMO_YAML, "bench-promo.yaml");
  const target = fanOutTarget(shipped);
  // a chunk of ids as fanOut reads it: the first `chunk` of the audience by id
  const ids = await scratch.db.$queryRaw<Array<{ id: string }>>(Prisma.sql`
    SELECT c.id FROM "Customer" c WHERE c."mergedIntoId" IS NULL AND (${target.where})
    ORDER BY c.id LIMIT ${Number(values.chunk)}`);
  // the zone names as fanOut reads them, once per fan-out
  const [{ zones }] = (await scratch.db.$queryRaw<Array<{ zones: string[] }>>(
    Prisma.sql`SELECT array_agg(name) AS zones FROM pg_timezone_names`,
  )) as [{ zones: string[] }];
  const statement = Prisma.sql`
    INSERT INTO "Delivery" (${DELIVERY_COLUMNS})
    ${plannedRows({ ...target, zones }, Prisma.sql`${ids.map((r) => r.id)}::uuid[]`)}
    ON CONFLICT (key) DO NOTHING
    RETURNING id, key, channel::text AS channel, "scheduledAt", "campaignId", status::text AS status, reason`;
  await scratch.sql.query(
    `INSERT INTO "Suppression" (channel, address, reason)
     SELECT 'email', 'gone-' || g || '@bench.example', 'bounced' FROM generate_series(1, $1::int) g`,
    [Number(values.suppressions)],
  );
  await scratch.sql.query("VACUUM ANALYZE");
  await scratch.sql.query("SET jit = off");
  for (const round of ["cold", "warm"]) {
    await scratch.sql.query("BEGIN");
    const { rows } = await scratch.sql.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`,
      statement.values,
    );
    await scratch.sql.query("ROLLBACK");
    console.log(`\n-- ${round}: ${ids.length} customers\n${rows.map((r) => r["QUERY PLAN"]).join("\n")}`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup?.();
    process.exit();
  });
