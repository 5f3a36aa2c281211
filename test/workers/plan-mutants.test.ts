import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompiledCampaign, compileCampaign } from "../../campaigns/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
import type { DeliverJob } from "../../workers/deliver-queue.ts";
import {
  type CampaignRegistry,
  closeQueues,
  createCampaignRegistry,
  type PlanJob,
  QUEUE,
  type QueueContext,
  queueFor,
  setCampaignStatus,
  shipCampaign,
  variantOf,
} from "../../workers/index.ts";
import { type PlanDeps, type PlanOutcome, planJobOptions, processPlan } from "../../workers/plan.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";

// Planning one message from a plan job, rule by rule, on the real database and Redis (found by mutation
// testing: see stryker.config.mjs).

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = Date.parse("2026-12-04T10:30:00Z");
const HOUR = 3_600_000;
const clock = manualClock(NOW);
let queues: QueueContext;
let registry: CampaignRegistry;

const THANK_YOU = compileCampaign(
  `id: plan-thanks
name: Plan thanks
kind: transactional
trigger: { event: { type: purchase, delay: 2h } }
channels: [email]
message: { template: thank-you }
limits: { once_per_customer: false }
`,
  "plan-thanks.yaml",
);
const WELCOME = compileCampaign(
  `id: plan-welcome
name: Plan welcome
kind: transactional
trigger: { event: { type: signup } }
channels: [email]
message: { template: thank-you }
limits: { once_per_customer: true }
`,
  "plan-welcome.yaml",
);
const PROMO = compileCampaign(
  `id: plan-promo
name: Plan promo
trigger: { event: { type: purchase } }
channels: [email]
message: { template: promo, data: { headline: Hi, code: unique(PLN) } }
holdout: 50
`,
  "plan-promo.yaml",
);
const PAUSED = compileCampaign(
  `id: plan-paused
name: Plan paused
kind: transactional
trigger: { event: { type: purchase } }
channels: [email]
message: { template: thank-you }
`,
  "plan-paused.yaml",
);

/** The customers each test may plan for, and whom the campaign's audience takes. */
const audience = new Set<string>();

function deps(): PlanDeps {
  return {
    db: database.db,
    queues,
    clock,
    brand: { name: "Acme", url: "https://acme.example" },
    campaign: (id) => registry.get(id),
    inAudience: async (_campaign, customerId) => audience.has(customerId),
  };
}

function plan(campaign: CompiledCampaign, customerId: string, occurrence: string, eventId?: string) {
  const data: PlanJob = { campaignId: campaign.id, customerId, occurrence, ...(eventId && { eventId }) };
  return processPlan(deps())({ data } as Job<PlanJob>);
}

let seq = 0;
async function customer(input: { email?: string | null; name?: string } = {}): Promise<string> {
  const email = input.email === undefined ? `plan${++seq}@example.com` : input.email;
  const created = await database.db.customer.create({
    data: {
      email,
      name: input.name ?? null,
      locale: "pl",
      timezone: "Europe/Warsaw",
      consent: { email: { status: "granted" } },
    },
  });
  audience.add(created.id);
  return created.id;
}

const deliveriesOf = (campaignId: string, customerId: string) =>
  database.db.delivery.findMany({ where: { campaignId, customerId }, orderBy: { createdAt: "asc" } });

const deliverJob = (key: string) => queueFor<DeliverJob>(queues, QUEUE.deliver("email")).getJob(key);

beforeAll(async () => {
  queues = { connection: redis.redis, prefix: redis.prefix };
  for (const campaign of [THANK_YOU, WELCOME, PROMO, PAUSED])
    await shipCampaign(database.db, campaign, "", { activate: true });
  await setCampaignStatus(database.db, PAUSED.id, "paused");
  registry = await createCampaignRegistry({ db: database.db, log: silentLogger, refreshMs: 60_000 });
});
afterAll(async () => {
  registry?.close();
  await closeQueues(queues);
});

describe("processPlan", () => {
  it("writes a purchase's Delivery with its channel, locale, recipient, event and version, then queues it for its time", async () => {
    const id = await customer({ name: "Jan" });
    const event = await database.db.event.create({
      data: {
        customerId: id,
        type: "purchase",
        externalId: "ORD-1",
        value: "79.98",
        currency: "PLN",
        occurredAt: new Date(NOW - HOUR / 2),
      },
    });
    await database.db.purchase.create({
      data: {
        eventId: event.id,
        customerId: id,
        sku: "KUB-02",
        name: "Kubek",
        quantity: 2,
        unitPrice: "39.99",
        currency: "PLN",
        occurredAt: event.occurredAt,
      },
    });

    const outcome = await plan(THANK_YOU, id, event.id, event.id);

    const rows = await deliveriesOf(THANK_YOU.id, id);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(outcome).toEqual({ kind: "queued", deliveryId: row?.id, key: row?.key });
    expect(row?.key).toBe(`d/${THANK_YOU.id}/main/${id}/${event.id}`);
    expect(row).toMatchObject({
      kind: "transactional",
      campaignVersionId: registry.get(THANK_YOU.id)?.versionId,
      step: "main",
      variant: null,
      channel: "email",
      status: "queued",
      reason: null,
      template: "thank-you",
      locale: "pl",
      recipient: `plan${seq}@example.com`,
      eventId: event.id,
      // the purchase plus the campaign's 2 h delay
      scheduledAt: new Date(NOW + (3 * HOUR) / 2),
      queuedAt: new Date(NOW),
    });
    expect(row?.data).toMatchObject({
      customer: { name: "Jan" },
      brand: { name: "Acme" },
      order: {
        id: "ORD-1",
        total: "79.98",
        items: [{ sku: "KUB-02", name: "Kubek", quantity: 2, unitPrice: "39.99" }],
      },
    });

    const job = await deliverJob(row?.key ?? "");
    expect(job?.data).toMatchObject({ deliveryId: row?.id });
    expect(job?.opts.delay).toBe((3 * HOUR) / 2);
  });

  it("sends at once without an event, and a new occurrence is a new Delivery", async () => {
    const id = await customer();
    expect((await plan(THANK_YOU, id, "first")).kind).toBe("queued");
    expect((await plan(THANK_YOU, id, "second")).kind).toBe("queued");

    const rows = await deliveriesOf(THANK_YOU.id, id);
    expect(rows.map((r) => r.key)).toEqual([
      `d/${THANK_YOU.id}/main/${id}/first`,
      `d/${THANK_YOU.id}/main/${id}/second`,
    ]);
    expect(rows.map((r) => [r.eventId, r.scheduledAt.getTime()])).toEqual([
      [null, NOW + 2 * HOUR],
      [null, NOW + 2 * HOUR],
    ]);
  });

  it("is harmless twice: the second run finds the Delivery and queues nothing", async () => {
    const id = await customer();
    const first = await plan(THANK_YOU, id, "twice");
    const second = await plan(THANK_YOU, id, "twice");

    expect(first.kind).toBe("queued");
    expect(second).toEqual({ ...first, kind: "exists" });
    expect(await deliveriesOf(THANK_YOU.id, id)).toHaveLength(1);
  });

  it("queues a Delivery written but never queued (a crash in between) when the job runs again", async () => {
    const id = await customer();
    const first = (await plan(THANK_YOU, id, "crash")) as Extract<PlanOutcome, { deliveryId: string }>;
    await (await deliverJob(first.key))?.remove();
    await database.db.delivery.update({
      where: { id: first.deliveryId },
      data: { status: "planned", queuedAt: null },
    });

    expect(await plan(THANK_YOU, id, "crash")).toEqual(first);
    expect(await database.db.delivery.findUniqueOrThrow({ where: { id: first.deliveryId } })).toMatchObject({
      status: "queued",
      queuedAt: new Date(NOW),
    });
    expect((await deliverJob(first.key))?.data).toMatchObject({ deliveryId: first.deliveryId });
  });

  it("plans a once-per-customer campaign once, whatever the occurrence", async () => {
    const id = await customer();
    const first = await plan(WELCOME, id, "signup-1");
    const again = await plan(WELCOME, id, "signup-2");

    expect(first.kind).toBe("queued");
    expect(again).toEqual({ ...first, kind: "exists" });
    expect((await deliveriesOf(WELCOME.id, id)).map((r) => r.key)).toEqual([
      `d/${WELCOME.id}/main/${id}/once`,
    ]);
  });

  it("plans nothing for a paused or unknown campaign, or a customer outside the audience", async () => {
    const id = await customer();
    expect(await plan(PAUSED, id, "o")).toEqual({ kind: "inactive", campaignId: PAUSED.id });
    expect(await plan({ ...PAUSED, id: "no-such-campaign" }, id, "o")).toEqual({
      kind: "inactive",
      campaignId: "no-such-campaign",
    });
    audience.delete(id);
    expect(await plan(THANK_YOU, id, "o")).toEqual({ kind: "not-in-audience", campaignId: THANK_YOU.id });

    expect(await database.db.delivery.count({ where: { customerId: id } })).toBe(0);
  });

  it("writes a customer no channel reaches as skipped with the reason, and queues nothing", async () => {
    const id = await customer({ email: null });
    const outcome = await plan(THANK_YOU, id, "unreachable");

    const rows = await deliveriesOf(THANK_YOU.id, id);
    expect(rows).toHaveLength(1);
    expect(outcome).toEqual({ kind: "skipped", deliveryId: rows[0]?.id, key: rows[0]?.key });
    expect(rows[0]).toMatchObject({
      status: "skipped",
      reason: "no_channel",
      recipient: null,
      queuedAt: null,
    });
    expect(await deliverJob(rows[0]?.key ?? "")).toBeUndefined();
  });

  it("keeps the hold-out out: skipped as holdout, no coupon drawn; the others get their coupon", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await customer());
    const held = ids.find((id) => variantOf(PROMO, id) === "holdout");
    const sent = ids.find((id) => variantOf(PROMO, id) !== "holdout");
    if (!held || !sent) throw new Error("40 customers at a 50 % hold-out had to fall on both sides");

    const heldOutcome = await plan(PROMO, held, "o");
    const sentOutcome = await plan(PROMO, sent, "o");

    expect(heldOutcome.kind).toBe("skipped");
    expect(sentOutcome.kind).toBe("queued");
    const [heldRow] = await deliveriesOf(PROMO.id, held);
    const [sentRow] = await deliveriesOf(PROMO.id, sent);
    expect(heldRow).toMatchObject({ status: "skipped", reason: "holdout", variant: "holdout" });
    expect(await database.db.coupon.count({ where: { customerId: held } })).toBe(0);
    const coupons = await database.db.coupon.findMany({ where: { customerId: sent } });
    expect(coupons).toHaveLength(1);
    expect(coupons[0]).toMatchObject({ prefix: "PLN", campaignId: PROMO.id });
    expect(sentRow?.data).toMatchObject({ headline: "Hi", code: coupons[0]?.code });
  });
});

describe("processPlan at the edges", () => {
  it("draws no coupon for a customer no channel reaches", async () => {
    let unreachable = "";
    for (let i = 0; i < 40 && !unreachable; i++) {
      const id = await customer({ email: null });
      if (variantOf(PROMO, id) !== "holdout") unreachable = id;
    }
    if (!unreachable) throw new Error("40 customers at a 50 % hold-out had to fall outside it once");

    expect((await plan(PROMO, unreachable, "o")).kind).toBe("skipped");
    expect((await deliveriesOf(PROMO.id, unreachable))[0]).toMatchObject({ reason: "no_channel" });
    expect(await database.db.coupon.count({ where: { customerId: unreachable } })).toBe(0);
  });

  it("writes one Delivery when two jobs plan the same occurrence at once, and neither fails", async () => {
    const id = await customer();
    // both jobs have looked for the Delivery (none yet) before either writes it
    let arrived = 0;
    let release: () => void = () => {};
    const bothLooked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racing = processPlan({
      ...deps(),
      inAudience: async () => {
        if (++arrived === 2) release();
        await bothLooked;
        return true;
      },
    });
    const job = { data: { campaignId: THANK_YOU.id, customerId: id, occurrence: "race" } } as Job<PlanJob>;

    const outcomes = await Promise.all([racing(job), racing(job)]);

    const rows = await deliveriesOf(THANK_YOU.id, id);
    expect(rows).toHaveLength(1);
    expect(outcomes.map((o) => "deliveryId" in o && o.deliveryId)).toEqual([rows[0]?.id, rows[0]?.id]);
  });
});

describe("planJobOptions", () => {
  it("derives the job id from the occurrence, so the same occurrence is queued once, and retries", () => {
    const options = planJobOptions("thanks", "c-1", "evt:1");
    expect(options.jobId).toBe("plan/thanks/c-1/evt_1");
    expect(planJobOptions("thanks", "c-1", "evt:2").jobId).not.toBe(options.jobId);
    expect(options.attempts).toBeGreaterThan(1);
    expect(options.backoff).toEqual({ type: "exponential", delay: 1_000 });
  });
});
