import type { Job, JobsOptions } from "bullmq";
import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db, Prisma } from "../lib/db/index.ts";
import { deliveryKey, jobId } from "../lib/ids.ts";
import { enqueueDelivery } from "./deliver-queue.ts";
import { planMessage } from "./planner.ts";
import type { QueueContext } from "./queues.ts";
import { JOB_RETENTION } from "./queues.ts";
import { type Brand, buildTemplateData } from "./template-data.ts";

/** One campaign occurrence for one customer, to be planned into a Delivery. */
export interface PlanJob {
  campaignId: string;
  customerId: string;
  /** The triggering event, if any. */
  eventId?: string;
  /** What makes this occurrence distinct (the event id, a schedule tick). */
  occurrence: string;
}

/** Job options of a plan job: its id is derived from the occurrence, so a repeat is dropped. */
export function planJobOptions(campaignId: string, customerId: string, occurrence: string): JobsOptions {
  return {
    jobId: jobId("plan", campaignId, customerId, occurrence),
    attempts: 8,
    backoff: { type: "exponential", delay: 1_000 },
    ...JOB_RETENTION,
  };
}

/** Dependencies of the plan processor. */
export interface PlanDeps {
  db: Db;
  queues: QueueContext;
  clock: Clock;
  brand: Brand;
  /** The active campaign with this id, if any. */
  campaign: (id: string) => CompiledCampaign | undefined;
}

/** What planning did. */
export type PlanOutcome =
  | { kind: "queued" | "skipped" | "exists"; deliveryId: string; key: string }
  | { kind: "inactive"; campaignId: string };

/**
 * Plans one message: decides channel, locale and time, writes the Delivery row under its unique key
 * (the outbox: written before anything is queued), then queues it for its channel. Running twice is
 * harmless: the row exists, and a row still `planned` (a crash between write and enqueue) is queued again.
 */
export function processPlan(deps: PlanDeps) {
  return async (job: Job<PlanJob>): Promise<PlanOutcome> => {
    const { campaignId, customerId, eventId, occurrence } = job.data;
    const campaign = deps.campaign(campaignId);
    if (!campaign) return { kind: "inactive", campaignId };
    const key = deliveryKey({
      campaign: campaign.id,
      step: "main",
      customerId,
      occurrence: campaign.limits.oncePerCustomer ? "once" : occurrence,
    });
    let delivery = await deps.db.delivery.findUnique({
      where: { key },
      select: { id: true, status: true, scheduledAt: true, channel: true },
    });
    if (!delivery) {
      const customer = await deps.db.customer.findUniqueOrThrow({
        where: { id: customerId },
        select: {
          id: true,
          name: true,
          email: true,
          locale: true,
          timezone: true,
          preferredChannel: true,
          consent: true,
          identities: { select: { channel: true, externalId: true } },
        },
      });
      const event = eventId
        ? await deps.db.event.findUnique({
            where: { id: eventId },
            include: { purchases: { select: { sku: true, name: true, quantity: true, unitPrice: true } } },
          })
        : null;
      const now = new Date(deps.clock.now());
      const decision = planMessage({ campaign, customer, occurredAt: event?.occurredAt ?? now, now });
      const data = buildTemplateData({
        campaign,
        customer,
        brand: deps.brand,
        event: event
          ? {
              ...event,
              value: event.value?.toString() ?? null,
              purchases: event.purchases.map((p) => ({ ...p, unitPrice: p.unitPrice.toString() })),
            }
          : undefined,
      });
      await deps.db.delivery.createMany({
        data: [
          {
            key,
            kind: campaign.kind,
            campaignId: campaign.id,
            step: "main",
            customerId,
            channel: decision.channel,
            status: decision.kind === "ready" ? "planned" : "skipped",
            reason: decision.kind === "skipped" ? decision.reason : null,
            template: campaign.message.template,
            locale: decision.locale,
            data: data as Prisma.InputJsonValue,
            recipient: decision.kind === "ready" ? decision.recipient : null,
            eventId: event?.id ?? null,
            scheduledAt: decision.kind === "ready" ? decision.scheduledAt : now,
          },
        ],
        skipDuplicates: true,
      });
      delivery = await deps.db.delivery.findUniqueOrThrow({
        where: { key },
        select: { id: true, status: true, scheduledAt: true, channel: true },
      });
    } else if (delivery.status !== "planned") {
      return { kind: "exists", deliveryId: delivery.id, key };
    }
    if (delivery.status !== "planned") return { kind: "skipped", deliveryId: delivery.id, key };
    await enqueueDelivery(
      deps.queues,
      { id: delivery.id, key, channel: delivery.channel, scheduledAt: delivery.scheduledAt },
      deps.clock,
    );
    await deps.db.delivery.updateMany({
      where: { id: delivery.id, status: "planned" },
      data: { status: "queued", queuedAt: new Date(deps.clock.now()) },
    });
    return { kind: "queued", deliveryId: delivery.id, key };
  };
}
