import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileCampaign, compileSegments } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import {
  type CampaignRegistry,
  closeQueues,
  createAudiences,
  createCampaignRegistry,
  QUEUE,
  type QueueContext,
  queueFor,
  setCampaignStatus,
  shipCampaign,
} from "../../workers/index.ts";
import { processSchedule, type ScheduleJob } from "../../workers/schedule.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

// The campaign clock on a manual clock: each tick's fan-out jobs are taken from the real queue and run here.
const database = useTestDatabase();
const redis = useTestRedis();
const clock = manualClock(Date.parse("2026-12-01T08:00:00Z"));
const { segments } = compileSegments("big-spenders:\n  where: total_spent >= 100 EUR\n", "segments.yaml");
let queues: QueueContext;
let registry: CampaignRegistry;
let run: ReturnType<typeof processSchedule>;

const campaign = (id: string, trigger: string, limits = "") =>
  compileCampaign(
    `id: ${id}\nname: ${id}\ntrigger: ${trigger}\nchannels: [email]\nmessage: { template: promo, data: { headline: Hi, body: Hello, endsAt: "2026-12-31T00:00:00Z" } }\n${limits}`,
    `${id}.yaml`,
    segments,
  );

async function customer(email: string, spent: number, lastPurchaseAt?: string): Promise<string> {
  const row = await database.db.customer.create({
    data: { email, lastPurchaseAt: lastPurchaseAt ? new Date(lastPurchaseAt) : null },
  });
  if (spent > 0) {
    await database.db.event.create({
      data: {
        customerId: row.id,
        type: "purchase",
        externalId: `${email}-${spent}`,
        value: spent,
        currency: "EUR",
        occurredAt: new Date(lastPurchaseAt ?? "2026-11-01T00:00:00Z"),
      },
    });
  }
  return row.id;
}

/** One tick, then every fan-out job it queued, run to the end. */
async function tickAndRun(): Promise<void> {
  const queue = queueFor<ScheduleJob>(queues, QUEUE.campaigns);
  await registry.refresh();
  await run({ data: { kind: "tick" } } as Job<ScheduleJob>);
  for (const job of await queue.getJobs(["waiting"])) {
    await run(job);
    await job.remove();
  }
}

const deliveriesOf = (campaignId: string, customerId?: string) =>
  database.db.delivery.findMany({
    where: { campaignId, ...(customerId && { customerId }) },
    include: { customer: true },
  });

beforeAll(async () => {
  queues = { connection: redis.redis, prefix: redis.prefix };
  registry = await createCampaignRegistry({ db: database.db, log: silentLogger, refreshMs: 60_000 });
  run = processSchedule({
    db: database.db,
    queues,
    clock,
    log: silentLogger,
    brand: { name: "Acme" },
    registry,
    audiences: createAudiences(() => segments),
  });
});
afterAll(async () => {
  registry?.close();
  await closeQueues(queues);
});

describe("the campaign clock", () => {
  // each test sets its own clock and customers: it passes alone (-t) as in the file's order
  it("sends a one-off schedule once, at its time in the campaign's timezone, and a paused one not at all", async () => {
    clock.set(Date.parse("2026-12-01T08:00:00Z"));
    const a = await customer("a@example.com", 0);
    await shipCampaign(
      database.db,
      campaign("at-warsaw", "{ schedule: { at: 2026-12-01T10:00:00, timezone: Europe/Warsaw } }"),
      "",
      { activate: true },
    );
    await shipCampaign(
      database.db,
      campaign("paused", "{ schedule: { at: 2026-12-01T09:00:00, timezone: UTC } }"),
      "",
      { activate: true },
    );
    await setCampaignStatus(database.db, "paused", "paused");

    await tickAndRun(); // 08:00 UTC = 09:00 in Warsaw: not yet
    expect(await deliveriesOf("at-warsaw", a)).toHaveLength(0);

    clock.set(Date.parse("2026-12-01T09:00:30Z")); // 10:00:30 in Warsaw
    await tickAndRun();
    await tickAndRun();
    const sent = await deliveriesOf("at-warsaw", a);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.key).toMatch(/\/at-2026-12-01T10-00$/);
    expect(await deliveriesOf("paused", a)).toHaveLength(0);
  });

  it("runs a cron schedule once per occurrence", async () => {
    clock.set(Date.parse("2026-12-01T09:00:30Z"));
    const weekly = await customer("weekly@example.com", 0);
    await shipCampaign(
      database.db,
      campaign("weekly", '{ schedule: { cron: "0 9 * * 2", timezone: UTC } }'),
      "",
      { activate: true },
    );
    await tickAndRun(); // Tuesday 1 December 09:00:30: the 09:00 run is due
    await tickAndRun();
    const first = await deliveriesOf("weekly");
    expect(new Set(first.map((d) => d.key.split("/").at(-1)))).toEqual(new Set(["cron-2026-12-01T09-00"]));
    clock.set(Date.parse("2026-12-08T09:01:00Z"));
    await tickAndRun();
    const keys = new Set((await deliveriesOf("weekly")).map((d) => d.key.split("/").at(-1)));
    expect(keys).toEqual(new Set(["cron-2026-12-01T09-00", "cron-2026-12-08T09-00"]));
    // without once_per_customer, the same customer hears from it every week
    expect(await deliveriesOf("weekly", weekly)).toHaveLength(2);
  });

  it("sends a weekly campaign with once_per_customer once: the next occurrence sends nothing more", async () => {
    clock.set(Date.parse("2026-12-01T09:00:30Z"));
    const once = await customer("weekly-once@example.com", 0);
    await shipCampaign(
      database.db,
      campaign(
        "weekly-once",
        '{ schedule: { cron: "0 9 * * 2", timezone: UTC } }',
        "limits: { once_per_customer: true }\n",
      ),
      "",
      { activate: true },
    );
    await tickAndRun();
    expect(await deliveriesOf("weekly-once", once)).toHaveLength(1);
    clock.set(Date.parse("2026-12-08T09:01:00Z")); // the next Tuesday's run is due, and runs
    await tickAndRun();
    const cursor = await database.db.channelCursor.findUnique({
      where: { key: "campaign:weekly-once:schedule" },
    });
    expect(cursor?.value).toBe("2026-12-08T09:00:00.000Z");
    expect(await deliveriesOf("weekly-once", once)).toHaveLength(1);
  });

  it("wins back each quiet spell once, reading only who crossed the threshold since the last tick", async () => {
    clock.set(Date.parse("2026-12-08T09:01:00Z"));
    const quiet = await customer("quiet@example.com", 20, "2026-09-01T00:00:00Z");
    const recent = await customer("recent@example.com", 20, "2026-12-01T00:00:00Z");
    await shipCampaign(
      database.db,
      campaign("quiet-60d", "{ inactive: { for: 60d, since: last_purchase } }"),
      "",
      { activate: true },
    );
    await tickAndRun();
    await tickAndRun();
    expect((await deliveriesOf("quiet-60d")).map((d) => d.customerId)).toEqual([quiet]);

    // 61 days later the recent buyer has gone quiet too: one more message, and still one for the first
    clock.set(Date.parse("2027-01-31T12:00:00Z"));
    await tickAndRun();
    expect((await deliveriesOf("quiet-60d")).map((d) => d.customerId).sort()).toEqual([quiet, recent].sort());
  });

  it("greets people who enter a segment after the campaign starts, not those already in it", async () => {
    clock.set(Date.parse("2027-01-31T12:00:00Z"));
    const before = await customer("before@example.com", 150);
    await shipCampaign(
      database.db,
      campaign("welcome-big", "{ segment_entered: { segment: big-spenders } }"),
      "",
      { activate: true },
    );
    await tickAndRun(); // the baseline: who is in already did not enter
    expect(await deliveriesOf("welcome-big")).toHaveLength(0);

    const later = await customer("later@example.com", 50);
    await database.db.event.create({
      data: {
        customerId: later,
        type: "purchase",
        externalId: "later-2",
        value: 60,
        currency: "EUR",
        occurredAt: new Date(clock.now()),
      },
    });
    clock.advance(60_000);
    await tickAndRun();
    await tickAndRun();
    const sent = await deliveriesOf("welcome-big");
    expect(sent.map((d) => d.customerId)).toEqual([later]);
    expect(sent.map((d) => d.customerId)).not.toContain(before);
  });
});

describe("campaign versions", () => {
  it("never sends again to people who got a campaign when its file is edited and shipped", async () => {
    const once = (name: string) =>
      compileCampaign(
        `id: once-only\nname: ${name}\ntrigger: { inactive: { for: 30d, since: last_purchase } }\nchannels: [email]\nmessage: { template: promo, data: { headline: Hi, body: Hello, endsAt: "2027-12-31T00:00:00Z" } }\nlimits: { once_per_customer: true }\n`,
        "once-only.yaml",
      );
    clock.set(Date.parse("2027-01-31T12:01:00Z"));
    const quiet = await customer("once@example.com", 20, "2026-01-01T00:00:00Z");
    expect(await shipCampaign(database.db, once("First wording"), "v1", { activate: true })).toMatchObject({
      version: 1,
    });
    await tickAndRun();
    expect((await deliveriesOf("once-only")).map((d) => d.customerId)).toContain(quiet);
    const before = (await deliveriesOf("once-only")).length;

    expect(await shipCampaign(database.db, once("Second wording"), "v2", { activate: true })).toMatchObject({
      version: 2,
      created: true,
    });
    clock.advance(3_600_000);
    await tickAndRun();
    expect(await deliveriesOf("once-only")).toHaveLength(before);
  });

  it("applies RAPPORT_SEND_WINDOW as quiet hours to marketing campaigns without their own", async () => {
    const windowed = await createCampaignRegistry({
      db: database.db,
      log: silentLogger,
      sendWindow: "08:00-21:00",
    });
    await shipCampaign(
      database.db,
      campaign("windowed", '{ schedule: { cron: "0 9 * * 2", timezone: UTC } }'),
      "",
      { activate: true },
    );
    await windowed.refresh();
    try {
      expect(windowed.get("windowed")?.campaign.limits.quietHours).toEqual({ start: "21:00", end: "08:00" });
    } finally {
      windowed.close();
    }
  });
});
