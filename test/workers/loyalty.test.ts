import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordConsent } from "../../bots/consent.ts";
import { captureEvent, type InboundEvent, parseInboundEvent } from "../../bots/events.ts";
import { redeemPoints } from "../../bots/loyalty-ledger.ts";
import { compileCampaign, compileLoyaltyRules, type LoyaltyRules } from "../../campaigns/index.ts";
import { baseOnly } from "../../campaigns/segment/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { jobId } from "../../lib/ids.ts";
import { silentLogger } from "../../lib/logger.ts";
import { processEvent } from "../../workers/events.ts";
import {
  type CampaignRegistry,
  closeQueues,
  createCampaignRegistry,
  type EventsJob,
  type PlanJob,
  QUEUE,
  type QueueContext,
  queueFor,
  shipCampaign,
} from "../../workers/index.ts";
import { addMonths, expireLoyaltyPoints, type LoyaltyProgramme } from "../../workers/loyalty.ts";
import { processPlan } from "../../workers/plan.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

// Points from events, through the events worker's processor on the real database and Redis.

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = Date.parse("2026-12-04T10:30:00Z");
const clock = manualClock(NOW);
let queues: QueueContext;
let registry: CampaignRegistry;

function rules(source: string): LoyaltyRules {
  const compiled = compileLoyaltyRules(source, "loyalty.yaml");
  expect(compiled.issues).toEqual([]);
  return compiled.rules!;
}

const RULES = rules(`
earn:
  IDR: 1 per 10000
  PLN: 1 per 1
bonus:
  survey_answered: 20
expire_after_months: 12
tiers:
  by: points
  levels: { bronze: 0, silver: 300, gold: 1000 }
`);
let programme: LoyaltyProgramme | undefined = { rules: RULES, money: baseOnly("EUR") };

const GOLD_WELCOME = compileCampaign(
  `id: gold-welcome
name: Welcome to gold
trigger: { event: { type: tier_changed, where: { to: gold } } }
channels: [email]
message: { template: thank-you }
`,
  "gold-welcome.yaml",
);

const events = () =>
  processEvent({
    db: database.db,
    queues,
    campaigns: () => registry.active(),
    loyalty: () => programme,
    now: () => clock.now(),
  });

let seq = 0;
async function store(event: Record<string, unknown>): Promise<string> {
  const parsed = parseInboundEvent(event);
  if (!parsed.success) throw new Error(parsed.error.message);
  const result = await captureEvent(database.db, parsed.data as InboundEvent, new Date(clock.now()));
  return result.eventId;
}

async function process(eventId: string) {
  return events()({ data: { eventId } } as Job<EventsJob>);
}

function purchase(email: string, total: string, currency: string, orderId = `ORD-${++seq}`) {
  return { type: "purchase", orderId, customer: { email }, total, currency };
}

function refund(email: string, orderId: string, value: string, currency: string) {
  return { type: "refund", id: `RF-${++seq}`, customer: { email }, value, currency, properties: { orderId } };
}

async function customerOf(email: string) {
  return database.db.customer.findUniqueOrThrow({ where: { email } });
}

async function entriesOf(email: string) {
  const { id } = await customerOf(email);
  // entries of one moment (a write-off and the redeem it precedes) by points, largest first: a stable order
  return database.db.loyaltyEntry.findMany({
    where: { customerId: id },
    orderBy: [{ createdAt: "asc" }, { points: "desc" }],
  });
}

beforeAll(async () => {
  queues = { connection: redis.redis, prefix: redis.prefix };
  await shipCampaign(database.db, GOLD_WELCOME, "", { activate: true });
  registry = await createCampaignRegistry({ db: database.db, log: silentLogger, refreshMs: 60_000 });
});
afterAll(async () => {
  registry.close();
  await closeQueues(queues);
});

describe("earning from purchases", () => {
  it("earns by the rate of the order's currency, rounded down, and nothing in a currency without one", async () => {
    await process(await store(purchase("siti@example.com", "45000", "IDR")));
    await process(await store(purchase("piotr@example.com", "120.50", "PLN")));
    await process(await store(purchase("john@example.com", "80", "USD")));
    expect((await entriesOf("siti@example.com")).map((e) => [e.reason, e.points])).toEqual([["earn", 4]]);
    expect((await entriesOf("piotr@example.com")).map((e) => [e.reason, e.points])).toEqual([["earn", 120]]);
    expect(await entriesOf("john@example.com")).toEqual([]);
    expect((await customerOf("siti@example.com")).loyaltyPoints).toBe(4);
    expect((await customerOf("piotr@example.com")).loyaltyPoints).toBe(120);
    const [earned] = await entriesOf("piotr@example.com");
    expect(earned!.expiresAt).toEqual(addMonths(new Date(NOW), 12));
  });

  it("earns once for an order the shop sends again and a job that runs twice", async () => {
    const order = purchase("ana@example.com", "250", "PLN", "ORD-TWICE");
    const first = await store(order);
    await process(first);
    const again = await store(order);
    expect(again).toBe(first);
    await process(again);
    await process(first);
    const entries = await entriesOf("ana@example.com");
    expect(entries).toHaveLength(1);
    expect(entries[0]!.points).toBe(250);
    expect((await customerOf("ana@example.com")).loyaltyPoints).toBe(250);
  });

  it("earns a bonus event's points once", async () => {
    const bonus = { type: "survey_answered", id: "SV-1", customer: { email: "bonus@example.com" } };
    const id = await store(bonus);
    await process(id);
    await process(id);
    expect((await entriesOf("bonus@example.com")).map((e) => [e.reason, e.points])).toEqual([["bonus", 20]]);
  });
});

describe("refunds", () => {
  it("takes back the refunded share of the order's points, all of them once fully refunded", async () => {
    const email = "refund@example.com";
    await process(await store(purchase(email, "200", "PLN", "ORD-RF")));
    const partial = await store(refund(email, "ORD-RF", "50", "PLN"));
    await process(partial);
    await process(partial);
    expect((await customerOf(email)).loyaltyPoints).toBe(150);
    await process(await store(refund(email, "ORD-RF", "150", "PLN")));
    const entries = await entriesOf(email);
    expect(entries.map((e) => [e.reason, e.points])).toEqual([
      ["earn", 200],
      ["refund", -50],
      ["refund", -150],
    ]);
    expect((await customerOf(email)).loyaltyPoints).toBe(0);
  });

  it("takes back Rp points proportionally, never more than the order earned", async () => {
    const email = "rupiah@example.com";
    await process(await store(purchase(email, "455000", "IDR", "ORD-IDR")));
    await process(await store(refund(email, "ORD-IDR", "455000", "IDR")));
    await process(await store(refund(email, "ORD-IDR", "10000", "IDR")));
    expect((await entriesOf(email)).map((e) => [e.reason, e.points])).toEqual([
      ["earn", 45],
      ["refund", -45],
    ]);
  });
});

describe("tiers", () => {
  it("records tier_changed { from, to } and a campaign on tier_changed to gold plans a Delivery", async () => {
    const email = "gold@example.com";
    await process(await store(purchase(email, "400", "PLN")));
    const customer = await customerOf(email);
    await database.db.$transaction((tx) =>
      recordConsent(tx, {
        customerId: customer.id,
        channel: "email",
        status: "granted",
        source: "events_api",
        evidence: { form: "test" },
        at: new Date(NOW),
      }),
    );
    expect(customer.loyaltyTier).toBe("silver");
    const purchaseId = await store(purchase(email, "700", "PLN"));
    const outcome = await process(purchaseId);
    expect(outcome.matched).toEqual([]);
    expect((await customerOf(email)).loyaltyTier).toBe("gold");
    const changes = await database.db.event.findMany({
      where: { customerId: customer.id, type: "tier_changed" },
      orderBy: { createdAt: "asc" },
    });
    expect(changes.map((c) => c.properties)).toEqual([
      { from: null, to: "silver" },
      { from: "silver", to: "gold" },
    ]);
    const queued = await queueFor<EventsJob>(queues, QUEUE.events).getJob(jobId("event", changes[1]!.id));
    expect(queued?.data.eventId).toBe(changes[1]!.id);
    // a retry of the purchase's job finds the same tier change, records no other
    await process(purchaseId);
    expect(await database.db.event.count({ where: { customerId: customer.id, type: "tier_changed" } })).toBe(
      2,
    );

    const matched = await process(changes[1]!.id);
    expect(matched.matched).toEqual(["gold-welcome"]);
    expect((await process(changes[0]!.id)).matched).toEqual([]);
    const planJobs = await queueFor<PlanJob>(queues, QUEUE.plan).getJobs(["waiting", "delayed"]);
    const job = planJobs.find(
      (j) => j.data.customerId === customer.id && j.data.campaignId === "gold-welcome",
    );
    expect(job).toBeDefined();
    await processPlan({
      db: database.db,
      queues,
      clock,
      brand: { name: "Acme" },
      campaign: (id) => registry.get(id),
      inAudience: async () => true,
    })(job as Job<PlanJob>);
    const deliveries = await database.db.delivery.findMany({
      where: { campaignId: "gold-welcome", customerId: customer.id },
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.status).not.toBe("skipped");
    expect((deliveries[0]!.data as { loyalty?: unknown }).loyalty).toEqual({ points: 1100, tier: "gold" });
  });

  it("earns nothing and changes no tier without a programme", async () => {
    programme = undefined;
    try {
      await process(await store(purchase("none@example.com", "5000", "PLN")));
    } finally {
      programme = { rules: RULES, money: baseOnly("EUR") };
    }
    expect(await entriesOf("none@example.com")).toEqual([]);
    expect((await customerOf("none@example.com")).loyaltyTier).toBeNull();
  });
});

describe("expiry", () => {
  it("writes off the unspent part of expired points, oldest first, before a redeem", async () => {
    const email = "expiry@example.com";
    clock.set(Date.parse("2025-01-10T10:00:00Z"));
    try {
      await process(await store(purchase(email, "100", "PLN")));
      const { id } = await customerOf(email);
      clock.set(Date.parse("2025-02-10T10:00:00Z"));
      expect(
        await redeemPoints(database.db, {
          customerId: id,
          points: 30,
          ref: "EXP-1",
          at: new Date(clock.now()),
        }),
      ).toMatchObject({ kind: "redeemed", balance: 70 });
      clock.set(Date.parse("2025-06-10T10:00:00Z"));
      await process(await store(purchase(email, "50", "PLN")));
      clock.set(Date.parse("2026-01-11T10:00:00Z"));
      expect(
        await redeemPoints(database.db, {
          customerId: id,
          points: 60,
          ref: "EXP-2",
          at: new Date(clock.now()),
        }),
      ).toEqual({ kind: "insufficient", balance: 50 });
      // refused: nothing written, not even the write-off
      expect((await entriesOf(email)).map((e) => e.reason)).toEqual(["earn", "redeem", "earn"]);
      expect(
        await redeemPoints(database.db, {
          customerId: id,
          points: 50,
          ref: "EXP-3",
          at: new Date(clock.now()),
        }),
      ).toMatchObject({ kind: "redeemed", balance: 0 });
      expect((await entriesOf(email)).map((e) => [e.reason, e.points])).toEqual([
        ["earn", 100],
        ["redeem", -30],
        ["earn", 50],
        ["redeem", -50],
        ["expire", -70],
      ]);
    } finally {
      clock.set(NOW);
    }
  });

  it("writes off expired points of a customer who buys nothing more, once, in the clock's sweep", async () => {
    const email = "quiet@example.com";
    clock.set(Date.parse("2024-03-01T10:00:00Z"));
    try {
      await process(await store(purchase(email, "80", "PLN")));
      const { id } = await customerOf(email);
      expect(await expireLoyaltyPoints(database.db, new Date("2025-02-28T10:00:00Z"))).toBe(0);
      expect((await customerOf(email)).loyaltyPoints).toBe(80);
      const swept = await expireLoyaltyPoints(database.db, new Date("2025-03-02T10:00:00Z"));
      expect(swept).toBeGreaterThanOrEqual(80);
      expect(await expireLoyaltyPoints(database.db, new Date("2025-03-03T10:00:00Z"))).toBe(0);
      const entries = await database.db.loyaltyEntry.findMany({
        where: { customerId: id },
        orderBy: { createdAt: "asc" },
      });
      expect(entries.map((e) => [e.reason, e.points])).toEqual([
        ["earn", 80],
        ["expire", -80],
      ]);
      expect((await customerOf(email)).loyaltyPoints).toBe(0);
    } finally {
      clock.set(NOW);
    }
  });
});
