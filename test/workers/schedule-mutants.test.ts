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
import { processSchedule, type ScheduleJob, startCampaignClock } from "../../workers/schedule.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

// The campaign clock's rules one at a time (found by mutation testing: see stryker.config.mjs). Each test
// has its own campaign, customers and clock; a tick's fan-out jobs are taken from the real queue and run here.

const database = useTestDatabase();
const redis = useTestRedis();
const DAY = 86_400_000;
const clock = manualClock(Date.parse("2026-12-01T08:00:00Z"));
const { segments } = compileSegments("loyal:\n  where: loyalty_points >= 100\n", "segments.yaml");
let queues: QueueContext;
let registry: CampaignRegistry;
let run: ReturnType<typeof processSchedule>;

async function ship(id: string, trigger: string): Promise<void> {
  const compiled = compileCampaign(
    `id: ${id}\nname: ${id}\ntrigger: ${trigger}\nchannels: [email]\nmessage: { template: promo, data: { headline: Hi, body: Hello, endsAt: "2027-12-31T00:00:00Z" } }\n`,
    `${id}.yaml`,
    segments,
  );
  await shipCampaign(database.db, compiled, "", { activate: true });
}

let seq = 0;
/** A customer who agreed to marketing email. */
async function customer(fields: {
  createdAt?: string;
  lastPurchaseAt?: string;
  lastInteractionAt?: string;
  loyaltyPoints?: number;
  timezone?: string;
}): Promise<string> {
  const row = await database.db.customer.create({
    data: {
      email: `schedule${++seq}@example.com`,
      consent: { email: { status: "granted" } },
      timezone: fields.timezone ?? null,
      loyaltyPoints: fields.loyaltyPoints ?? 0,
      ...(fields.createdAt && { createdAt: new Date(fields.createdAt) }),
      lastPurchaseAt: fields.lastPurchaseAt ? new Date(fields.lastPurchaseAt) : null,
      lastInteractionAt: fields.lastInteractionAt ? new Date(fields.lastInteractionAt) : null,
    },
  });
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

const deliveriesOf = (campaignId: string) =>
  database.db.delivery.findMany({ where: { campaignId }, orderBy: { key: "asc" } });

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

describe("win-back on the campaign clock", () => {
  it("counts the last interaction, or the signup of someone who never wrote, by default", async () => {
    clock.set(Date.parse("2026-12-01T08:00:00Z"));
    const wroteLongAgo = await customer({
      createdAt: "2026-01-01T00:00:00Z",
      lastInteractionAt: "2026-10-01T00:00:00Z",
    });
    const wroteLately = await customer({
      createdAt: "2026-01-01T00:00:00Z",
      lastInteractionAt: "2026-11-25T00:00:00Z",
    });
    const silentOld = await customer({ createdAt: "2026-10-01T00:00:00Z" });
    const silentNew = await customer({ createdAt: "2026-11-25T00:00:00Z" });
    // a purchase is not an interaction here
    const boughtLongAgo = await customer({
      createdAt: "2026-11-20T00:00:00Z",
      lastPurchaseAt: "2026-06-01T00:00:00Z",
    });
    await ship("quiet-talk", "{ inactive: { for: 30d } }");

    await tickAndRun();

    const sent = await deliveriesOf("quiet-talk");
    expect(new Set(sent.map((d) => d.customerId))).toEqual(new Set([wroteLongAgo, silentOld]));
    for (const id of [wroteLately, silentNew, boughtLongAgo])
      expect(sent.map((d) => d.customerId)).not.toContain(id);
    // one message per quiet spell, named by when it began
    const spell = (at: string) => `quiet-${Date.parse(at) / 1000}`;
    expect(sent.find((d) => d.customerId === wroteLongAgo)?.key).toMatch(
      new RegExp(`/${spell("2026-10-01T00:00:00Z")}$`),
    );
    expect(sent.find((d) => d.customerId === silentOld)?.key).toMatch(
      new RegExp(`/${spell("2026-10-01T00:00:00Z")}$`),
    );
  });

  it("sends again after a purchase starts a new quiet spell, and reads only who crossed since the last tick", async () => {
    clock.set(Date.parse("2026-12-01T08:00:00Z"));
    const quiet = await customer({ lastPurchaseAt: "2026-09-01T00:00:00Z" });
    await ship("quiet-buy", "{ inactive: { for: 60d, since: last_purchase } }");
    await tickAndRun();
    let imported = "";
    const mine = async () =>
      (await deliveriesOf("quiet-buy"))
        .map((d) => d.customerId)
        .filter((id) => id === quiet || id === imported);
    expect(await mine()).toEqual([quiet]);

    // they buy again, then fall quiet for 60 days more; meanwhile a customer is imported long quiet
    await database.db.customer.update({
      where: { id: quiet },
      data: { lastPurchaseAt: new Date("2026-12-02T00:00:00Z") },
    });
    imported = await customer({ lastPurchaseAt: "2026-05-01T00:00:00Z" });
    clock.set(Date.parse("2027-02-01T08:00:00Z"));
    await tickAndRun();

    expect(await mine()).toEqual([quiet, quiet]);
    const cursor = await database.db.channelCursor.findUnique({
      where: { key: "campaign:quiet-buy:inactive" },
    });
    expect(cursor?.value).toBe(new Date(Date.parse("2027-02-01T08:00:00Z") - 60 * DAY).toISOString());
  });
});

describe("segment_entered on the campaign clock", () => {
  it("greets a customer who left the segment and came back, once per entry", async () => {
    clock.set(Date.parse("2026-12-01T08:00:00Z"));
    await ship("loyal-hello", "{ segment_entered: { segment: loyal } }");
    await tickAndRun(); // the first refresh records who is in
    const joiner = await customer({ loyaltyPoints: 150 });
    clock.advance(60_000);
    await tickAndRun();
    expect((await deliveriesOf("loyal-hello")).map((d) => d.customerId)).toEqual([joiner]);

    await database.db.customer.update({ where: { id: joiner }, data: { loyaltyPoints: 10 } });
    clock.advance(60_000);
    await tickAndRun(); // they left
    await database.db.customer.update({ where: { id: joiner }, data: { loyaltyPoints: 120 } });
    clock.advance(60_000);
    await tickAndRun(); // and came back
    clock.advance(60_000);
    await tickAndRun(); // nothing new

    expect((await deliveriesOf("loyal-hello")).map((d) => d.customerId)).toEqual([joiner, joiner]);
    const cursor = await database.db.channelCursor.findUnique({
      where: { key: "campaign:loyal-hello:segment" },
    });
    expect(cursor?.value).toBe(new Date(clock.now()).toISOString());
  });

  it("does not count a customer merged into another as a member", async () => {
    clock.set(Date.parse("2026-12-01T08:00:00Z"));
    await ship("loyal-merged", "{ segment_entered: { segment: loyal } }");
    await tickAndRun();
    const kept = await customer({});
    const merged = await customer({ loyaltyPoints: 500 });
    await database.db.customer.update({ where: { id: merged }, data: { mergedIntoId: kept } });
    clock.advance(60_000);
    await tickAndRun();

    expect(await database.db.segmentMember.count({ where: { segment: "loyal", customerId: merged } })).toBe(
      0,
    );
    expect(await deliveriesOf("loyal-merged")).toEqual([]);
  });
});

describe("a schedule in the customer's timezone", () => {
  it("is due at the wall time in each customer's zone, UTC for a customer without one", async () => {
    clock.set(Date.parse("2026-11-30T20:00:30Z")); // 10:00:30 on Kiritimati, the first zone to reach it
    const jakarta = await customer({ timezone: "Asia/Jakarta" });
    const warsaw = await customer({ timezone: "Europe/Warsaw" });
    const nowhere = await customer({});
    await ship("local-ten", "{ schedule: { at: 2026-12-01T10:00:00, timezone: customer } }");
    await tickAndRun();

    const due = new Map(
      (await deliveriesOf("local-ten")).map((d) => [d.customerId, d.scheduledAt.toISOString()]),
    );
    expect(due.get(jakarta)).toBe("2026-12-01T03:00:00.000Z");
    expect(due.get(warsaw)).toBe("2026-12-01T09:00:00.000Z");
    expect(due.get(nowhere)).toBe("2026-12-01T10:00:00.000Z");
  });
});

describe("a schedule in a fixed timezone", () => {
  it("keeps the quiet hours of a customer without a timezone in the campaign's zone", async () => {
    clock.set(Date.parse("2026-12-01T06:30:30Z")); // 07:30:30 in Warsaw, in the night until 08:00
    const nowhere = await customer({});
    const compiled = compileCampaign(
      `id: warsaw-early\nname: warsaw-early\ntrigger: { schedule: { at: 2026-12-01T07:30:00, timezone: Europe/Warsaw } }\nchannels: [email]\nmessage: { template: promo, data: { headline: Hi, body: Hello, endsAt: "2027-12-31T00:00:00Z" } }\nlimits: { quiet_hours: "21:00-08:00" }\n`,
      "warsaw-early.yaml",
      segments,
    );
    await shipCampaign(database.db, compiled, "", { activate: true });
    await tickAndRun();

    const [delivery] = (await deliveriesOf("warsaw-early")).filter((d) => d.customerId === nowhere);
    // 08:00 in Warsaw, not 08:00 UTC
    expect(delivery?.scheduledAt.toISOString()).toBe("2026-12-01T07:00:00.000Z");
  });
});

describe("a tick", () => {
  it("queues each due occurrence once however often it ticks, counts what it queued, and leaves event campaigns alone", async () => {
    clock.set(Date.parse("2027-03-02T09:00:30Z"));
    const queue = queueFor<ScheduleJob>(queues, QUEUE.campaigns);
    await tickAndRun(); // what earlier tests left due is done
    await ship("tick-weekly", '{ schedule: { cron: "0 9 * * 2", timezone: UTC } }');
    await shipCampaign(
      database.db,
      compileCampaign(
        "id: tick-event\nname: tick-event\nkind: transactional\ntrigger: { event: { type: purchase } }\nchannels: [email]\nmessage: { template: thank-you }\n",
        "tick-event.yaml",
      ),
      "",
      { activate: true },
    );
    await registry.refresh();

    const first = await run({ data: { kind: "tick" } } as Job<ScheduleJob>);
    const afterFirst = (await queue.getJobs(["waiting"])).map((j) => j.data);
    await run({ data: { kind: "tick" } } as Job<ScheduleJob>);
    const waiting = (await queue.getJobs(["waiting"])).map((j) => j.data);

    // a tick returns how many fan-outs it queued; a second tick at the same moment adds none
    expect(first).toBe(afterFirst.length);
    expect(waiting).toHaveLength(afterFirst.length);
    // the inactive and segment campaigns of earlier tests queue theirs too; the schedule one is due once
    const mine = waiting.filter((d) => "campaignId" in d && d.campaignId.startsWith("tick-"));
    expect(mine).toEqual([expect.objectContaining({ kind: "schedule", campaignId: "tick-weekly" })]);
    const job = (await queue.getJobs(["waiting"])).find((j) => j.data.kind === "schedule");
    expect(job?.opts.attempts).toBeGreaterThan(1);

    // once run, the occurrence is not queued again
    await tickAndRun();
    await registry.refresh();
    await run({ data: { kind: "tick" } } as Job<ScheduleJob>);
    expect((await queue.getJobs(["waiting"])).filter((j) => j.data.kind === "schedule")).toEqual([]);
    for (const leftover of await queue.getJobs(["waiting"])) await leftover.remove();
  });

  it("drops a fan-out whose campaign was paused after it was queued, or is unknown", async () => {
    clock.set(Date.parse("2027-03-09T09:00:30Z"));
    const reader = await customer({});
    await ship("paused-later", '{ schedule: { cron: "0 9 * * 2", timezone: UTC } }');
    await registry.refresh();
    await run({ data: { kind: "tick" } } as Job<ScheduleJob>);
    const queue = queueFor<ScheduleJob>(queues, QUEUE.campaigns);
    const queued = (await queue.getJobs(["waiting"])).filter(
      (j) => "campaignId" in j.data && j.data.campaignId === "paused-later",
    );
    expect(queued).toHaveLength(1);
    await setCampaignStatus(database.db, "paused-later", "paused");
    await registry.refresh();

    expect(await run(queued[0] as Job<ScheduleJob>)).toBeUndefined();
    const unknown = { ...queued[0]?.data, campaignId: "no-such-campaign" } as ScheduleJob;
    expect(await run({ data: unknown } as Job<ScheduleJob>)).toBeUndefined();
    expect(await database.db.delivery.count({ where: { customerId: reader } })).toBe(0);
    for (const leftover of await queue.getJobs(["waiting"])) await leftover.remove();
  });
});

describe("startCampaignClock", () => {
  it("registers one tick scheduler on the campaigns queue, however often it is called", async () => {
    await startCampaignClock(queues, 30_000);
    await startCampaignClock(queues, 30_000);
    const schedulers = await queueFor(queues, QUEUE.campaigns).getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: "campaign-clock", name: "tick", every: 30_000 });
    // what it queues is a tick, which runs the clock
    const ticks = await queueFor<ScheduleJob>(queues, QUEUE.campaigns).getJobs(["waiting", "delayed"]);
    expect(ticks.filter((j) => j.name === "tick").map((j) => j.data)).toEqual([
      expect.objectContaining({ kind: "tick" }),
    ]);
  });
});
