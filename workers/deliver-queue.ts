import type { ChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import { JOB_RETENTION, QUEUE, type QueueContext, queueFor } from "./queues.ts";

/** A Delivery to send. */
export interface DeliverJob {
  deliveryId: string;
}

/** Attempts of a deliver job before the Delivery is marked failed. With exponential backoff from 2 s: ~17 min. */
export const DELIVER_ATTEMPTS = 10;

/**
 * Queues a Delivery on its channel's queue, delayed until it is due. The job id is the Delivery key, so
 * queueing the same Delivery twice keeps one job while the first is kept.
 */
export async function enqueueDelivery(
  queues: QueueContext,
  delivery: { id: string; key: string; channel: ChannelName; scheduledAt: Date },
  clock: Clock,
): Promise<void> {
  await queueFor<DeliverJob>(queues, QUEUE.deliver(delivery.channel)).add(
    "deliver",
    { deliveryId: delivery.id },
    {
      jobId: delivery.key,
      delay: Math.max(0, delivery.scheduledAt.getTime() - clock.now()),
      attempts: DELIVER_ATTEMPTS,
      backoff: { type: "exponential", delay: 2_000 },
      ...JOB_RETENTION,
    },
  );
}
