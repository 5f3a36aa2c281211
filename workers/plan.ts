import type { Job, JobsOptions } from "bullmq";
import { respondsOnOf } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db, Prisma } from "../lib/db/index.ts";
import { deliveryKey, jobId } from "../lib/ids.ts";
import { validZone } from "../lib/zoned-time.ts";
import { variantOf } from "./buckets.ts";
import type { LiveCampaign } from "./campaign-registry.ts";
import { couponFor } from "./coupons.ts";
import { enqueueDelivery } from "./deliver-queue.ts";
import type { Stamped } from "./installation.ts";
import { derivedData, messageOf } from "./message-data.ts";
import { PLAN_CUSTOMER_SELECT, planMessage, sendTime } from "./planner.ts";
import type { QueueContext } from "./queues.ts";
import { JOB_RETENTION } from "./queues.ts";
import { type Brand, buildTemplateData, templateEvent } from "./template-data.ts";

/** One campaign occurrence for one customer, to be planned into a Delivery. */
export interface PlanJob extends Stamped {
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
  /** The campaign with this id, if any (only active ones are planned). */
  campaign: (id: string) => LiveCampaign | undefined;
  /** Whether the customer is in the campaign's audience now (its segment expression). */
  inAudience: (campaign: LiveCampaign, customerId: string, now: Date) => Promise<boolean>;
}

/** What planning did. */
export type PlanOutcome =
  | { kind: "queued" | "skipped" | "exists"; deliveryId: string; key: string }
  | { kind: "inactive"; campaignId: string }
  | { kind: "not-in-audience"; campaignId: string };

/**
 * Plans one message: checks the audience, decides variant, channel, locale and time (quiet hours in the
 * customer's timezone), fills in coupons, writes the Delivery row under its unique key (the outbox: written
 * before anything is queued), then queues it for its channel. Running twice is harmless: the row exists,
 * and a row still `planned` (a crash between write and enqueue) is queued again.
 */
export function processPlan(deps: PlanDeps) {
  return async (job: Job<PlanJob>): Promise<PlanOutcome> => {
    const { campaignId, customerId, eventId, occurrence } = job.data;
    const live = deps.campaign(campaignId);
    if (live?.status !== "active") return { kind: "inactive", campaignId };
    const campaign = live.campaign;
    const key = deliveryKey({
      campaign: campaign.id,
      step: "main",
      customerId,
      occurrence: campaign.limits.oncePerCustomer ? "once" : occurrence,
    });
    const select = { id: true, status: true, scheduledAt: true, channel: true } as const;
    let delivery = await deps.db.delivery.findUnique({ where: { key }, select });
    if (!delivery) {
      const now = new Date(deps.clock.now());
      if (!(await deps.inAudience(live, customerId, now))) return { kind: "not-in-audience", campaignId };
      const customer = {
        ...(await deps.db.customer.findUniqueOrThrow({
          where: { id: customerId },
          select: PLAN_CUSTOMER_SELECT,
        })),
        respondsOn: await respondsOnOf(deps.db, customerId),
      };
      const event = eventId
        ? await deps.db.event.findUnique({
            where: { id: eventId },
            include: { purchases: { select: { sku: true, name: true, quantity: true, unitPrice: true } } },
          })
        : null;
      const decision = planMessage({ campaign, customer, occurredAt: event?.occurredAt ?? now, now });
      const variant = variantOf(campaign, customerId);
      const message = messageOf(campaign, variant);
      const zone = validZone(customer.timezone);
      const scheduledAt = sendTime(decision, campaign, zone, now);
      const coupons: Record<string, string> = {};
      if (decision.kind === "ready" && variant !== "holdout") {
        for (const slot of message.coupons)
          coupons[slot.key] = await couponFor(deps.db, { prefix: slot.prefix, customerId, campaignId });
      }
      const data = buildTemplateData({
        data: {
          ...message.data,
          ...coupons,
          ...derivedData(message.data, scheduledAt, zone),
        },
        customer,
        brand: deps.brand,
        event: event ? templateEvent(event) : undefined,
      });
      const skipped =
        variant === "holdout" ? "holdout" : decision.kind === "skipped" ? decision.reason : null;
      await deps.db.delivery.createMany({
        data: [
          {
            key,
            kind: campaign.kind,
            campaignId: campaign.id,
            campaignVersionId: live.versionId,
            step: "main",
            variant,
            customerId,
            channel: decision.channel,
            status: skipped ? "skipped" : "planned",
            reason: skipped,
            template: message.template,
            locale: decision.locale,
            data: data as Prisma.InputJsonValue,
            recipient: decision.kind === "ready" ? decision.recipient : null,
            eventId: event?.id ?? null,
            scheduledAt,
          },
        ],
        skipDuplicates: true,
      });
      delivery = await deps.db.delivery.findUniqueOrThrow({ where: { key }, select });
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
