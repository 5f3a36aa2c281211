import { beforeAll, describe, expect, it } from "vitest";
import { compileCampaign } from "../../campaigns/index.ts";
import { Prisma } from "../../lib/db/index.ts";
import { plannedRows } from "../../workers/fanout-sql.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
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
