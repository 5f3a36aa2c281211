import { Queue } from "bullmq";
import type { ChannelName } from "../lib/channels.ts";
import type { Redis } from "../lib/redis.ts";

/**
 * Queue names. DESIGN.md writes `deliver:<channel>`; BullMQ forbids ":" in queue names, so the channel
 * queues are `deliver-<channel>`.
 */
export const QUEUE = {
  events: "events",
  plan: "plan",
  /** The campaign clock's ticks and the fan-outs they start. */
  campaigns: "campaigns",
  /** The nightly RFM refresh (workers/rfm.ts). */
  rfm: "rfm",
  deliver: (channel: ChannelName) => `deliver-${channel}`,
} as const;

/** Where queues live: one Redis connection and a key prefix (per deployment, or per test file). */
export interface QueueContext {
  connection: Redis;
  /** BullMQ key prefix. Use a hash tag such as "{rapport}" on Redis Cluster. */
  prefix: string;
  /** The installation queueing: stamped into every job, so a worker of another one refuses it. */
  installation?: string;
}

/** What finished jobs leave behind: enough to inspect recent work, bounded so Redis never grows forever. */
export const JOB_RETENTION = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

const queues = new WeakMap<Redis, Map<string, Queue>>();

/** The producer side of a queue, one instance per connection and name. */
export function queueFor<T>(context: QueueContext, name: string): Queue<T> {
  let byName = queues.get(context.connection);
  if (!byName) {
    byName = new Map();
    queues.set(context.connection, byName);
  }
  const key = `${context.prefix}/${name}`;
  let queue = byName.get(key);
  if (!queue) {
    queue = new Queue(name, { connection: context.connection, prefix: context.prefix });
    byName.set(key, queue);
  }
  return queue as Queue<T>;
}

/** Closes every producer opened on this connection. */
export async function closeQueues(context: QueueContext): Promise<void> {
  const byName = queues.get(context.connection);
  if (!byName) return;
  queues.delete(context.connection);
  await Promise.all([...byName.values()].map((q) => q.close()));
}

/**
 * How a worker notices that another died: its job's lock lapses after `lockDuration` and a stalled check
 * (every `stalledInterval`) hands the job on. A job may be handed on many times (`maxStalledCount`): every
 * processor is idempotent (unique Delivery keys, batch claims, provider idempotency keys), and a job failed
 * for stalling twice would leave its Deliveries queued forever. Every worker of a queue uses the same values.
 */
export function stallOptions(stalledIntervalMs = 30_000) {
  return {
    stalledInterval: stalledIntervalMs,
    // shorter than 10 s and a CPU-starved worker could lose a lock it still holds
    lockDuration: Math.max(stalledIntervalMs, 10_000),
    maxStalledCount: 20,
  };
}
