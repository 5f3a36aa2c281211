import type { Job } from "bullmq";
import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Db } from "../lib/db/index.ts";
import { jobId } from "../lib/ids.ts";
import { attributeConversion } from "./goals.ts";
import { type Stamped, stamp } from "./installation.ts";
import { applyLoyalty, type LoyaltyProgramme } from "./loyalty.ts";
import { type PlanJob, planJobOptions } from "./plan.ts";
import { JOB_RETENTION, QUEUE, type QueueContext, queueFor } from "./queues.ts";
import { emitPurchaseCreated } from "./webhooks.ts";

/** A stored customer event to match against campaign triggers. */
export interface EventsJob extends Stamped {
  eventId: string;
}

/**
 * Queues an event for campaign matching. Idempotent: the job id is derived from the event, so a shop's
 * retry does not match the event twice (and the Delivery key would stop a second message anyway).
 */
export async function enqueueEvent(queues: QueueContext, eventId: string): Promise<void> {
  await queueFor<EventsJob>(queues, QUEUE.events).add("event", stamp(queues, { eventId }), {
    jobId: jobId("event", eventId),
    attempts: 8,
    backoff: { type: "exponential", delay: 1_000 },
    ...JOB_RETENTION,
  });
}

/** Dependencies of the events processor. */
export interface EventsDeps {
  db: Db;
  queues: QueueContext;
  /** The active campaigns, as compiled now. */
  campaigns: () => readonly CompiledCampaign[];
  /** Every campaign whose goals still count (active, paused or archived). */
  goalCampaigns?: () => readonly CompiledCampaign[];
  /** The loyalty programme (campaigns/loyalty.yaml) events earn points by. Unset or undefined: no points. */
  loyalty?: () => LoyaltyProgramme | undefined;
  /** What "now" is for loyalty entries, in ms. Defaults to the system clock. */
  now?: () => number;
}

/** True when an event trigger of `campaign` fires for an event of `type` with `properties`. */
export function triggerMatches(campaign: CompiledCampaign, type: string, properties: unknown): boolean {
  const trigger = campaign.trigger;
  if (trigger.kind !== "event" || trigger.event !== type) return false;
  const props = (properties ?? {}) as Record<string, unknown>;
  return Object.entries(trigger.where ?? {}).every(([key, expected]) => props[key] === expected);
}

/**
 * Credits the event to the campaigns whose goal it meets, then matches it against every event-triggered
 * campaign and queues a plan job for each match.
 */
export function processEvent(deps: EventsDeps) {
  return async (job: Job<EventsJob>): Promise<{ matched: string[]; converted: string[] }> => {
    const event = await deps.db.event.findUnique({
      where: { id: job.data.eventId },
      select: {
        id: true,
        type: true,
        customerId: true,
        properties: true,
        occurredAt: true,
        value: true,
        currency: true,
      },
    });
    if (!event) return { matched: [], converted: [] };
    const programme = deps.loyalty?.();
    if (programme) {
      const now = new Date(deps.now?.() ?? Date.now());
      const { tierChangedEventId } = await applyLoyalty(deps.db, programme, event, now);
      if (tierChangedEventId) await enqueueEvent(deps.queues, tierChangedEventId);
    }
    // subscribed systems hear of the order (idempotent: a retried job sends no second message)
    if (event.type === "purchase") await emitPurchaseCreated(deps.db, deps.queues, event.id);
    const converted = await attributeConversion(deps.db, (deps.goalCampaigns ?? deps.campaigns)(), event);
    const matched = deps.campaigns().filter((c) => triggerMatches(c, event.type, event.properties));
    await queueFor<PlanJob>(deps.queues, QUEUE.plan).addBulk(
      matched.map((campaign) => ({
        name: "plan",
        data: stamp(deps.queues, {
          campaignId: campaign.id,
          customerId: event.customerId,
          eventId: event.id,
          occurrence: event.id,
        }),
        opts: planJobOptions(campaign.id, event.customerId, event.id),
      })),
    );
    return { matched: matched.map((c) => c.id), converted };
  };
}
