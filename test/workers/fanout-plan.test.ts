import { beforeAll, describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { silentLogger } from "../../lib/logger.ts";
import { plannedRows } from "../../workers/fanout-sql.ts";
import { closeQueues, fanOut, shipCampaign } from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = new Date("2026-12-04T10:30:00Z");

const PROMO = compileCampaign(
  `id: plan-test
name: Plan test
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: customer } }
audience: orders >= 1
channels: [telegram, email]
message:
  template: promo
  data: { headline: Winter sale }
limits: { max_per_week: 2 }
`,
  "plan-test.yaml",
);

/** The plan of the fan-out's statement for every customer, as JSON text. */
async function planOf(): Promise<string> {
  const spec = {
    campaign: PROMO,
    versionId: null,
    occurrence: Prisma.sql`'once'`,
    due: Prisma.sql`('2026-12-04T10:00'::timestamp AT TIME ZONE tz.zone)`,
    defaultZone: "UTC",
    brand: { name: "Acme", url: "https://acme.example" },
    now: NOW,
  };
  const rows = await database.db.$queryRaw<Array<{ "QUERY PLAN": unknown }>>(Prisma.sql`
    EXPLAIN (FORMAT JSON) ${plannedRows(spec, Prisma.sql`ARRAY(SELECT id FROM "Customer")`)}`);
  return JSON.stringify(rows[0]?.["QUERY PLAN"]);
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

// the plan statement runs once per chunk of 2 000 customers: what it reads per customer is what a fan-out of a
// million pays (bench/README, "The fan-out's plan statement")
describe("the fan-out's plan statement", () => {
  beforeAll(async () => {
    // a brand with a long history of bounces: the suppression check must not read them all
    await database.db.$executeRaw`
      INSERT INTO "Customer" (email, locale, consent)
      SELECT 'c' || g || '@example.com', 'en', '{"email": {"status": "granted"}}'::jsonb FROM generate_series(1, 200) g`;
    await database.db.$executeRaw`
      INSERT INTO "Identity" ("customerId", channel, "externalId")
      SELECT id, 'telegram', 'chat-' || email FROM "Customer"`;
    await database.db.$executeRaw`
      INSERT INTO "Suppression" (channel, address, reason)
      SELECT 'email', 'gone-' || g || '@example.com', 'bounced' FROM generate_series(1, 20000) g`;
    await database.db.$executeRaw`ANALYZE "Customer", "Identity", "Suppression"`;
  });

  it("looks each listed channel's identity up once per customer, not once per pick", async () => {
    expect(count(await planOf(), '"Relation Name":"Identity"')).toBe(1);
  });

  it("checks suppressions through the (channel, address) key, never reading the whole table", async () => {
    const plan = await planOf();
    expect(plan).toContain('"Index Name":"Suppression_channel_address_key"');
    expect(plan).not.toMatch(/"Node Type":"Seq Scan"[^}]*"Relation Name":"Suppression"/);
  });

  it("counts the customer's recent marketing messages (the weekly cap) once", async () => {
    expect(count(await planOf(), '"Relation Name":"Delivery"')).toBe(1);
  });
});

describe("a fan-out in many chunks", () => {
  it("reads the server's time zone names once, not once per chunk (the view reads every zone file)", async () => {
    await shipCampaign(database.db, PROMO, "", { activate: true });
    const statements: string[] = [];
    // the same client, noting the text of every raw statement the fan-out sends
    const db = new Proxy(database.db, {
      get(target, prop) {
        const value = Reflect.get(target, prop) as unknown;
        if (prop !== "$queryRaw" && prop !== "$executeRaw") return value;
        return (query: Prisma.Sql) => {
          statements.push(query.sql);
          return (value as (q: Prisma.Sql) => Promise<unknown>).call(target, query);
        };
      },
    }) as Db;
    const queues = { connection: redis.redis, prefix: redis.prefix };
    try {
      const result = await fanOut(
        { db, queues, clock: manualClock(NOW.getTime()), log: silentLogger },
        {
          campaign: PROMO,
          versionId: null,
          where: Prisma.sql`true`,
          occurrence: Prisma.sql`'zones'`,
          due: Prisma.sql`('2026-12-04T10:00'::timestamp AT TIME ZONE tz.zone)`,
          defaultZone: "UTC",
          brand: { name: "Acme", url: "https://acme.example" },
          now: NOW,
          chunkSize: 50,
        },
      );
      expect(result.audience).toBe(200);
      expect(statements.filter((sql) => sql.trimStart().startsWith('INSERT INTO "Delivery"')).length).toBe(4);
      expect(statements.filter((sql) => sql.includes("pg_timezone_names"))).toHaveLength(1);
    } finally {
      await closeQueues(queues);
    }
  });
});
