import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { compileCampaign, noSegments, respondsOnOf } from "../../campaigns/index.ts";
import { Prisma } from "../../lib/db/index.ts";
import { createAudiences, dryRun, planMessage } from "../../workers/index.ts";
import { PLAN_CUSTOMER_SELECT } from "../../workers/planner.ts";
import { useTestDatabase } from "../support/db.ts";

const database = useTestDatabase();
const NOW = new Date("2026-12-04T10:30:00Z");

const PROMO = compileCampaign(
  `id: preferred-test
name: Preferred test
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: UTC } }
channels: [preferred, email]
message: { template: promo }
`,
  "preferred-test.yaml",
);

const target = (id: string) => ({
  campaign: PROMO,
  versionId: null,
  where: Prisma.sql`${createAudiences(() => noSegments("segments.yaml")).sql(PROMO, NOW)} AND c.id = ${id}::uuid`,
  occurrence: Prisma.sql`'at-2026-12-04T10-00'`,
  due: Prisma.sql`'2026-12-04T10:00'::timestamp`,
  defaultZone: "UTC",
  brand: { name: "Acme" },
  now: NOW,
});

/** Last talked to us by email (preferredChannel), reachable on Telegram too; `clicks` Telegram messages clicked. */
async function customer(clicks: number): Promise<string> {
  const created = await database.db.customer.create({
    data: {
      email: `${randomUUID()}@example.com`,
      preferredChannel: "email",
      consent: { email: { status: "granted" }, telegram: { status: "granted" } },
      identities: { create: { channel: "telegram", externalId: randomUUID() } },
    },
  });
  for (let i = 0; i < clicks; i++) {
    await database.db.delivery.create({
      data: {
        key: randomUUID(),
        customerId: created.id,
        channel: "telegram",
        status: "sent",
        sentAt: new Date("2026-11-01T10:00:00Z"),
        clickedAt: new Date("2026-11-01T11:00:00Z"),
      },
    });
  }
  return created.id;
}

let clicker: string;
let quiet: string;
beforeAll(async () => {
  clicker = await customer(2);
  quiet = await customer(0);
});

async function plannedChannel(id: string): Promise<string | undefined> {
  const loaded = await database.db.customer.findUniqueOrThrow({
    where: { id },
    select: PLAN_CUSTOMER_SELECT,
  });
  const decision = planMessage({
    campaign: PROMO,
    customer: { ...loaded, respondsOn: await respondsOnOf(database.db, id) },
    occurredAt: NOW,
    now: NOW,
  });
  return decision.kind === "ready" ? decision.channel : undefined;
}

describe("channels: [preferred] follows responds_on", () => {
  it("sends where the customer clicks or answers most, in the planner and in the fan-out's SQL alike", async () => {
    expect(await respondsOnOf(database.db, clicker)).toBe("telegram");
    expect(await plannedChannel(clicker)).toBe("telegram");
    const rows = await dryRun(database.db, target(clicker));
    expect(rows.map((r) => [r.channel, r.status])).toEqual([["telegram", "planned"]]);
  });

  it("falls back to the channel they last talked to us on when they never responded", async () => {
    expect(await respondsOnOf(database.db, quiet)).toBeNull();
    expect(await plannedChannel(quiet)).toBe("email");
    const rows = await dryRun(database.db, target(quiet));
    expect(rows.map((r) => [r.channel, r.status])).toEqual([["email", "planned"]]);
  });
});
