import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCampaign, noSegments } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { Prisma } from "../../lib/db/index.ts";
import { silentLogger } from "../../lib/logger.ts";
import {
  closeQueues,
  createAudiences,
  dryRun,
  fanOut,
  QUEUE,
  type QueueContext,
  queueFor,
  shipCampaign,
  variantOf,
} from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = new Date("2026-12-04T10:30:00Z"); // 17:30 in Jakarta, 11:30 in Warsaw, 23:30 in Auckland
const clock = manualClock(NOW.getTime());
let queues: QueueContext;

const PROMO = compileCampaign(
  `id: promo-test
name: Promo test
trigger: { schedule: { at: 2026-12-04T10:00:00, timezone: customer } }
audience: orders >= 1
channels: [telegram, email]
message:
  template: promo
  data: { headline: Winter sale, body: Everything 20% off, discount: 20, code: unique(WINTER20), endsAt: 2026-12-06T16:59:59Z }
limits: { quiet_hours: "21:00-08:00", max_per_week: 1 }
variants:
  - { name: a, weight: 50 }
  - { name: b, weight: 50, data: { headline: Last days of the winter sale } }
holdout: 10
`,
  "promo-test.yaml",
);

/** Customers: id → [email, locale, timezone, telegram chat, consent, purchases]. */
async function customer(input: {
  email?: string;
  locale?: string;
  timezone?: string;
  telegram?: string;
  consent?: Record<string, { status: string }>;
  orders?: number;
}): Promise<string> {
  const created = await database.db.customer.create({
    data: {
      email: input.email ?? null,
      locale: input.locale ?? "en",
      timezone: input.timezone ?? null,
      // marketing needs granted consent (opt-in, the default policy): these customers gave it
      consent: input.consent ?? { email: { status: "granted" }, telegram: { status: "granted" } },
      ...(input.telegram && { identities: { create: { channel: "telegram", externalId: input.telegram } } }),
    },
  });
  for (let i = 0; i < (input.orders ?? 1); i++) {
    await database.db.event.create({
      data: {
        customerId: created.id,
        type: "purchase",
        externalId: `${created.id}-${i}`,
        value: new Prisma.Decimal("25.00"),
        currency: "EUR",
        occurredAt: new Date("2026-10-01T10:00:00Z"),
      },
    });
  }
  return created.id;
}

const target = () => ({
  campaign: PROMO,
  versionId: null,
  where: createAudiences(() => noSegments("segments.yaml")).sql(PROMO, NOW),
  occurrence: Prisma.sql`'at-2026-12-04T10-00'`,
  due: Prisma.sql`('2026-12-04T10:00'::timestamp AT TIME ZONE tz.zone)`,
  defaultZone: "UTC",
  brand: { name: "Acme", url: "https://acme.example" },
  now: NOW,
});

let ids: Record<string, string>;
beforeAll(async () => {
  queues = { connection: redis.redis, prefix: redis.prefix };
  await shipCampaign(database.db, PROMO, "", { activate: true });
  ids = {
    jakarta: await customer({
      email: "siti@example.com",
      locale: "id-ID",
      timezone: "Asia/Jakarta",
      telegram: "5001",
    }),
    warsaw: await customer({ email: "ola@example.com", locale: "pl", timezone: "Europe/Warsaw" }),
    auckland: await customer({ email: "kiri@example.com", timezone: "Pacific/Auckland" }),
    newYork: await customer({ email: "joe@example.com", timezone: "America/New_York" }),
    optedOut: await customer({ email: "no@example.com", consent: { email: { status: "denied" } } }),
    unreachable: await customer({}),
    neverBought: await customer({ email: "window@example.com", orders: 0 }),
  };
  // 40 more, to see the A/B split and the email batches
  for (let i = 0; i < 40; i++)
    await customer({ email: `bulk${i}@example.com`, locale: ["en", "id", "pl"][i % 3] });
});
afterAll(() => closeQueues(queues));

describe("fanOut", () => {
  it("plans every customer of the audience with set-based SQL: channel, locale, variant, coupon, local time", async () => {
    const result = await fanOut(
      { db: database.db, queues, clock, log: silentLogger },
      { ...target(), chunkSize: 7 },
    );
    expect(result.audience).toBe(46);
    const rows = await database.db.delivery.findMany({ where: { campaignId: "promo-test" } });
    expect(rows).toHaveLength(46);
    const of = (name: string) => rows.find((r) => r.customerId === ids[name])!;

    // holdout and variant as the TypeScript planner would pick them, for everyone
    for (const row of rows) expect(row.variant).toBe(variantOf(PROMO, row.customerId));
    expect(rows.filter((r) => r.variant === "b").length).toBeGreaterThan(5);

    const jakarta = of("jakarta");
    if (jakarta.variant !== "holdout") {
      expect(jakarta).toMatchObject({
        channel: "telegram",
        recipient: "5001",
        locale: "id",
        status: "queued",
      });
      // 10:00 in Jakarta has passed: due now
      expect(jakarta.scheduledAt).toEqual(NOW);
    }
    const warsaw = of("warsaw");
    if (warsaw.variant !== "holdout") expect(warsaw).toMatchObject({ channel: "email", locale: "pl" });
    // 10:00 in New York is still ahead: 15:00 UTC
    const newYork = of("newYork");
    if (newYork.variant !== "holdout") expect(newYork.scheduledAt).toEqual(new Date("2026-12-04T15:00:00Z"));
    // it is 23:30 in Auckland: quiet hours hold it until 08:00 there (19:00 UTC)
    const auckland = of("auckland");
    if (auckland.variant !== "holdout")
      expect(auckland.scheduledAt).toEqual(new Date("2026-12-04T19:00:00Z"));

    expect(of("optedOut")).toMatchObject(
      of("optedOut").variant === "holdout"
        ? { reason: "holdout" }
        : { status: "skipped", reason: "opted_out" },
    );
    expect(of("unreachable")).toMatchObject(
      of("unreachable").variant === "holdout"
        ? { reason: "holdout" }
        : { status: "skipped", reason: "no_channel" },
    );
    expect(rows.some((r) => r.customerId === ids.neverBought)).toBe(false);

    // each customer's own code, stored once; variant b's headline on top of the campaign's data
    const coupons = await database.db.coupon.findMany({ where: { prefix: "WINTER20" } });
    expect(new Set(coupons.map((c) => c.code)).size).toBe(coupons.length);
    for (const row of rows.filter((r) => r.status === "queued")) {
      const data = row.data as { code: string; headline: string; customer: { email?: string } };
      expect(data.code).toBe(coupons.find((c) => c.customerId === row.customerId)?.code);
      expect(data.code).toMatch(/^WINTER20-[0-9A-F]{10}$/);
      expect(data.headline).toBe(row.variant === "b" ? "Last days of the winter sale" : "Winter sale");
    }

    // campaign email goes in batches of at most 100 per due time; Telegram one job a message
    const emailJobs = await queueFor(queues, QUEUE.deliver("email")).getJobs(["delayed", "waiting"]);
    const batches = emailJobs.filter((j) => j.name === "batch");
    const queuedEmails = rows.filter((r) => r.status === "queued" && r.channel === "email");
    expect(batches.flatMap((j) => (j.data as { deliveryIds: string[] }).deliveryIds).sort()).toEqual(
      queuedEmails.map((r) => r.id).sort(),
    );
    expect(result.queued).toBe(rows.filter((r) => r.status === "queued").length);
  });

  it("writes and sends nothing twice when run again, and a dry run counts what it would do", async () => {
    const before = await database.db.delivery.count();
    const again = await fanOut({ db: database.db, queues, clock, log: silentLogger }, target());
    expect(again).toMatchObject({ audience: 46, queued: 0, existing: 46 });
    expect(await database.db.delivery.count()).toBe(before);

    const rows = await dryRun(database.db, target());
    expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(46);
    expect(rows.every((r) => r.status === "exists")).toBe(true);
  });

  it("skips a customer over the weekly cap, counting marketing from every campaign", async () => {
    const capped = await customer({ email: "busy@example.com" });
    await database.db.delivery.create({
      data: {
        key: "d/other/main/busy/1",
        kind: "marketing",
        campaignId: null,
        customerId: capped,
        channel: "email",
        status: "sent",
        sentAt: new Date("2026-12-02T10:00:00Z"),
        scheduledAt: new Date("2026-12-02T10:00:00Z"),
      },
    });
    const rows = await dryRun(database.db, { ...target(), where: Prisma.sql`c.id = ${capped}::uuid` });
    expect(rows).toEqual([
      expect.objectContaining(
        variantOf(PROMO, capped) === "holdout"
          ? { reason: "holdout", count: 1 }
          : { status: "skipped", reason: "frequency_cap", count: 1 },
      ),
    ]);
  });
});
