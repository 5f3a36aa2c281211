import type { ChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { jobId, shortHash } from "../lib/ids.ts";
import type { UnsentMarks } from "./deliver-chat.ts";
import type { PendingRecord } from "./deliver-record.ts";
import { DELIVER_ATTEMPTS, DELIVER_BACKOFF } from "./deliver-retry.ts";
import { type Stamped, stamp } from "./installation.ts";
import { JOB_RETENTION, QUEUE, type QueueContext, queueFor } from "./queues.ts";

/**
 * A Delivery to send (job name "deliver"), or a campaign's messages due together (job name "batch"): up to 100
 * emails sent in one call, or up to 50 messages of a chat channel sent one a call.
 */
export type DeliverJob = ({ deliveryId: string } | { batchKey: string; deliveryIds: string[] }) &
  Stamped & {
    /** The provider's answers, kept when recording them failed: a later try records them, never sends. */
    recording?: PendingRecord[];
    /** How many times recording them was put off. */
    recordingTries?: number;
    /** When a try first failed (ms): retries go on for the retry window from then (workers/deliver-retry.ts). */
    failingSince?: number;
    /** How many times the job waited for the shop to confirm its codes (workers/shop-coupons.ts). */
    shopTries?: number;
    /**
     * A chat batch's marks whose statement failed (its answer lost, so they may be set): this job set them at
     * `at` (ms) and sent none of them, so its next try clears them instead of failing them unknown_outcome.
     */
    unsentMarks?: UnsentMarks;
  };

export { DELIVER_ATTEMPTS } from "./deliver-retry.ts";

/** Emails per batch job: Resend's `POST /emails/batch` takes up to 100. */
export const EMAIL_BATCH_SIZE = 100;

/**
 * Campaign messages per batch job on a channel that sends one message a call (Telegram, Discord, X, the web
 * chat): checked, marked and recorded as a set (workers/deliver-chat.ts), each still one send of the
 * provider's rate (workers/send-slots.ts). Two seconds of Telegram's 25 messages/s.
 */
export const CHAT_BATCH_SIZE = 50;

const jobOptions = (id: string, scheduledAt: Date, clock: Clock) => ({
  jobId: id,
  delay: Math.max(0, scheduledAt.getTime() - clock.now()),
  // transient failures retry with capped pauses for a window of time, not a few attempts (deliver-retry.ts)
  attempts: DELIVER_ATTEMPTS,
  backoff: { type: DELIVER_BACKOFF },
  ...JOB_RETENTION,
});

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
    stamp(queues, { deliveryId: delivery.id }),
    jobOptions(delivery.key, delivery.scheduledAt, clock),
  );
}

/** A planned Delivery as the bulk enqueue needs it. */
export interface PlannedDelivery {
  id: string;
  key: string;
  channel: ChannelName;
  scheduledAt: Date;
  campaignId: string | null;
}

/**
 * Queues many planned Deliveries with one `addBulk` per channel, then marks them queued. A campaign's messages
 * due at the same moment go in batches, ordered by key: emails 100 a job, chat messages 50 a job; a batch's job
 * id (and Resend idempotency key) is a hash of its members, so the same deliveries queued again make the same
 * batch. Replies (no campaign) stay one job each, so they go out at once.
 */
export async function enqueueDeliveries(
  deps: { db: Db; queues: QueueContext; clock: Clock },
  deliveries: readonly PlannedDelivery[],
): Promise<void> {
  if (deliveries.length === 0) return;
  const byChannel = new Map<ChannelName, PlannedDelivery[]>();
  for (const d of deliveries) {
    const list = byChannel.get(d.channel);
    if (list) list.push(d);
    else byChannel.set(d.channel, [d]);
  }
  for (const [channel, list] of byChannel) {
    const queue = queueFor<DeliverJob>(deps.queues, QUEUE.deliver(channel));
    // replies (no campaign) go alone, at once; a campaign's messages due together go in batches
    const size = channel === "email" ? EMAIL_BATCH_SIZE : CHAT_BATCH_SIZE;
    const single = list.filter((d) => d.campaignId === null);
    const groups = new Map<string, PlannedDelivery[]>();
    for (const d of list.filter((d) => d.campaignId !== null)) {
      const group = `${d.campaignId}@${d.scheduledAt.getTime()}`;
      const members = groups.get(group);
      if (members) members.push(d);
      else groups.set(group, [d]);
    }
    const jobs = single.map((d) => ({
      name: "deliver",
      data: stamp(deps.queues, { deliveryId: d.id }) as DeliverJob,
      opts: jobOptions(d.key, d.scheduledAt, deps.clock),
    }));
    for (const group of groups.values()) {
      group.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (let i = 0; i < group.length; i += size) {
        const members = group.slice(i, i + size);
        const batchKey = jobId(
          "b",
          members[0]!.campaignId!,
          shortHash(members.map((m) => m.key).join("\n"), 24),
        );
        jobs.push({
          name: "batch",
          data: stamp(deps.queues, { batchKey, deliveryIds: members.map((m) => m.id) }),
          opts: jobOptions(batchKey, members[0]!.scheduledAt, deps.clock),
        });
      }
    }
    await queue.addBulk(jobs);
  }
  await deps.db.$executeRaw(Prisma.sql`
    UPDATE "Delivery" SET status = 'queued', "queuedAt" = ${new Date(deps.clock.now())}
    WHERE id = ANY(${deliveries.map((d) => d.id)}::uuid[]) AND status = 'planned'`);
}

/**
 * Queues every Delivery of a campaign still `planned` (a fan-out interrupted between writing its rows and
 * queueing them), by keyset pages. Returns how many it queued.
 */
export async function sweepPlanned(
  deps: { db: Db; queues: QueueContext; clock: Clock },
  campaignId: string,
  pageSize = 5_000,
): Promise<number> {
  let after = "00000000-0000-0000-0000-000000000000";
  let total = 0;
  for (;;) {
    const page = await deps.db.$queryRaw<PlannedDelivery[]>(Prisma.sql`
      SELECT id, key, channel::text AS channel, "scheduledAt", "campaignId" FROM "Delivery"
      WHERE "campaignId" = ${campaignId} AND status = 'planned' AND id > ${after}::uuid
      ORDER BY id LIMIT ${pageSize}`);
    if (page.length === 0) return total;
    await enqueueDeliveries(deps, page);
    total += page.length;
    after = page.at(-1)!.id;
  }
}
