import { Worker } from "bullmq";
import type { Channel } from "../bots/index.ts";
import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import type { TemplateStore } from "../templates/index.ts";
import { startDeliverWorker } from "./deliver.ts";
import { type EventsJob, processEvent } from "./events.ts";
import { type PlanJob, processPlan } from "./plan.ts";
import { JOB_RETENTION, QUEUE } from "./queues.ts";
import type { Brand } from "./template-data.ts";

export { syncCampaigns } from "./campaign-sync.ts";
export { type DeliverJob, enqueueDelivery } from "./deliver-queue.ts";
export { type EventsJob, enqueueEvent, triggerMatches } from "./events.ts";
export type { PlanJob } from "./plan.ts";
export { type PlanCustomer, type PlanDecision, planMessage } from "./planner.ts";
export { closeQueues, QUEUE, type QueueContext, queueFor } from "./queues.ts";
export { queueReply } from "./reply.ts";
export type { Brand } from "./template-data.ts";

/** Everything the workers need, injected. */
export interface WorkerDeps {
  db: Db;
  connection: Redis;
  prefix: string;
  concurrency: number;
  clock: Clock;
  log: Logger;
  brand: Brand;
  templates: TemplateStore;
  /** The active campaigns. Read on every job, so a reload takes effect at once. */
  campaigns: () => readonly CompiledCampaign[];
  /** One outbound channel per channel name that can send. */
  channels: readonly Channel[];
}

/** Running workers. */
export interface Workers {
  readonly all: readonly Worker[];
  close(): Promise<void>;
}

/** Starts the events, plan and per-channel deliver workers in this process. */
export function startWorkers(deps: WorkerDeps): Workers {
  const log = deps.log.child({ component: "workers" });
  const queues = { connection: deps.connection, prefix: deps.prefix };
  const common = {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    ...JOB_RETENTION,
  };
  const events = new Worker<EventsJob>(
    QUEUE.events,
    processEvent({ db: deps.db, queues, campaigns: deps.campaigns }),
    common,
  );
  const plan = new Worker<PlanJob>(
    QUEUE.plan,
    processPlan({
      db: deps.db,
      queues,
      clock: deps.clock,
      brand: deps.brand,
      campaign: (id) => deps.campaigns().find((c) => c.id === id),
    }),
    common,
  );
  const all: Worker[] = [events, plan, ...deps.channels.map((channel) => startDeliverWorker(deps, channel))];
  for (const worker of [events, plan]) {
    worker.on("failed", (job, error) =>
      log.warn({ queue: worker.name, jobId: job?.id, err: error }, "job failed"),
    );
    worker.on("error", (error) => log.error({ queue: worker.name, err: error }, "worker error"));
  }
  return {
    all,
    async close() {
      await Promise.all(all.map((w) => w.close()));
    },
  };
}
