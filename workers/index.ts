import { type Job, Worker } from "bullmq";
import type { Channel, ShopCoupons } from "../bots/index.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import type { TemplateStore } from "../templates/index.ts";
import type { Audiences } from "./audiences.ts";
import type { CampaignRegistry } from "./campaign-registry.ts";
import { type Delivered, startDeliverWorker } from "./deliver.ts";
import { type EventsJob, processEvent } from "./events.ts";
import { startImportWorker } from "./import/job.ts";
import type { ImportTarget } from "./import/sql.ts";
import { refuseForeignJobs } from "./installation.ts";
import type { LoyaltyProgramme } from "./loyalty.ts";
import { type PlanJob, processPlan } from "./plan.ts";
import { JOB_RETENTION, QUEUE, stallOptions } from "./queues.ts";
import { processRfm, type RfmJob, startRfmSchedule } from "./rfm.ts";
import { processSchedule, type ScheduleJob, startCampaignClock } from "./schedule.ts";
import type { Brand } from "./template-data.ts";
import { startWebhookRelay, startWebhooksWorker } from "./webhooks.ts";

export { type Audiences, createAudiences } from "./audiences.ts";
export { bucketOf, variantOf } from "./buckets.ts";
export { type CampaignRegistry, createCampaignRegistry, type LiveCampaign } from "./campaign-registry.ts";
export {
  type CampaignStatus,
  type Shipped,
  setCampaignStatus,
  shipCampaign,
  syncCampaigns,
} from "./campaign-sync.ts";
export { type CouponResults, type CouponRow, couponResults, couponsOf } from "./coupons.ts";
export type { Delivered } from "./deliver.ts";
export { type DeliverJob, enqueueDelivery } from "./deliver-queue.ts";
export { dryRunCampaign } from "./dry-run.ts";
export { type EventsJob, enqueueEvent, triggerMatches } from "./events.ts";
export { type DryRunRow, dryRun, type FanOutResult, fanOut } from "./fanout.ts";
export {
  fieldsOf as importFieldsOf,
  IMPORT_KINDS,
  type ImportKind,
  type ImportSummary,
  type ImportTarget,
  InputError,
  MappingError,
  previewImport,
} from "./import/index.ts";
export {
  enqueueImport,
  type ImportJob,
  type ImportProgress,
  importJobId,
  QUEUE_IMPORT,
  rejectsPathOf,
  startImportWorker,
} from "./import/job.ts";
export { installationId, queuePrefixOf, REFUSED_RECHECK_MS } from "./installation.ts";
export { messageOf, variantMessages } from "./message-data.ts";
export type { PlanJob } from "./plan.ts";
export { type PlanCustomer, type PlanDecision, planMessage } from "./planner.ts";
export {
  findCustomerId,
  type MessagePreview,
  PREVIEW_DELIVERY_ID,
  type PreviewDeps,
  type PreviewOptions,
  type PreviewResult,
  type PreviewSkip,
  previewMessage,
  type RenderErrorResult,
} from "./preview.ts";
export { closeQueues, QUEUE, type QueueContext, queueFor } from "./queues.ts";
export { quietShift } from "./quiet-hours.ts";
export { type RenderDeps, renderDelivery } from "./render.ts";
export {
  queuePostReply,
  queueReply,
  queueStaffReply,
  type ReplyDeps,
  type RetryResult,
  replyInConversation,
  retryDelivery,
  type StaffReply,
  type StaffReplyResult,
} from "./reply.ts";
export {
  type CampaignListRow,
  type CampaignReport,
  campaignList,
  campaignReport,
  type OutcomeCounts,
  type ReportRow,
  type Revenue,
} from "./reports.ts";
export { processRfm, RFM_NIGHTLY, type RfmJob, startRfmSchedule } from "./rfm.ts";
export { refreshSegment, tick } from "./schedule.ts";
export { segmentsOf } from "./segments-of.ts";
export { type Brand, buildTemplateData } from "./template-data.ts";
export {
  allowedFields,
  emitPurchaseCreated,
  emitWebhook,
  enqueueWebhook,
  newWebhookSecret,
  QUEUE_WEBHOOKS,
  relayWebhooks,
  signWebhook,
  WEBHOOK_EVENTS,
  type WebhookEventType,
} from "./webhooks.ts";

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
  /** The campaigns, from the database, refreshed: a pause reaches every worker within seconds. */
  registry: CampaignRegistry;
  audiences: Audiences;
  /** One outbound channel per channel name that can send. */
  channels: readonly Channel[];
  /** Where customers reach this server (unsubscribe links). */
  publicUrl: string;
  /** HMAC key of unsubscribe links: the same in every process. */
  unsubscribeSecret: string;
  /** The campaign clock's period in ms. Defaults to 60 000. */
  clockEveryMs?: number;
  /** How often the webhooks relay turns the outbox into messages, in ms. Defaults to 1 000. */
  webhookRelayEveryMs?: number;
  /** After how long a dead worker's job goes to another, in ms. The same in every process. Defaults to 30 000. */
  stalledIntervalMs?: number;
  /** Told each single Delivery's recorded outcome (the console's live updates). */
  onDelivered?: (delivered: Delivered) => void;
  /**
   * Connections the database can serve this process at once (pool size; 1 for PGlite): no deliver worker
   * runs more jobs at once. Unset: no cap besides `concurrency` and the channel's rate.
   */
  connections?: number;
  /** This installation's id: stamped into every job queued, and a job stamped with another is refused. */
  installation?: string;
  /** How long a provider has to answer one send or batch, in ms (SEND_TIMEOUT_MS). Defaults to 30 000. */
  sendTimeoutMs?: number;
  /** The shop whose coupon API creates `unique()` codes before they are sent (bots `connectedShop`). */
  shopCoupons?: ShopCoupons;
  /** The loyalty programme (campaigns/loyalty.yaml) purchases earn by. Unset or undefined: no points. */
  loyalty?: () => LoyaltyProgramme | undefined;
  /** Where the console's imports load rows (the PostgreSQL URL or this process's PGlite). Unset: no import worker. */
  importTarget?: ImportTarget;
}

/** Running workers. */
export interface Workers {
  readonly all: readonly Worker[];
  close(): Promise<void>;
}

/**
 * Starts the events, plan, campaigns (clock ticks and fan-outs) and per-channel deliver workers in this
 * process. Any number of processes may run them against one Redis and one PostgreSQL.
 */
export async function startWorkers(deps: WorkerDeps): Promise<Workers> {
  const log = deps.log.child({ component: "workers" });
  const queues = { connection: deps.connection, prefix: deps.prefix, installation: deps.installation };
  const guard = <T extends object, R>(processor: (job: Job<T>, token?: string) => Promise<R>) =>
    refuseForeignJobs(deps.installation, log, processor);
  const common = {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    ...stallOptions(deps.stalledIntervalMs),
    ...JOB_RETENTION,
  };
  const live = (id: string) => deps.registry.get(id);
  const events = new Worker<EventsJob>(
    QUEUE.events,
    guard(
      processEvent({
        db: deps.db,
        queues,
        campaigns: () => deps.registry.active(),
        goalCampaigns: () => deps.registry.all(),
        loyalty: deps.loyalty,
        now: () => deps.clock.now(),
      }),
    ),
    common,
  );
  const plan = new Worker<PlanJob>(
    QUEUE.plan,
    guard(
      processPlan({
        db: deps.db,
        queues,
        clock: deps.clock,
        brand: deps.brand,
        campaign: live,
        inAudience: (campaign, customerId, now) =>
          deps.audiences.includes(deps.db, campaign.campaign, customerId, now),
      }),
    ),
    common,
  );
  // one fan-out at a time per process: each is a long run of set-based statements
  const campaigns = new Worker<ScheduleJob>(
    QUEUE.campaigns,
    guard(processSchedule({ ...deps, queues, registry: deps.registry, audiences: deps.audiences })),
    { ...common, concurrency: 1 },
  );
  await startCampaignClock(queues, deps.clockEveryMs);
  // one refresh at a time: it is one long set-based statement
  const rfm = new Worker<RfmJob>(
    QUEUE.rfm,
    guard(processRfm({ ...deps, money: () => deps.audiences.money() })),
    { ...common, concurrency: 1 },
  );
  await startRfmSchedule(queues);
  await startWebhookRelay(queues, deps.webhookRelayEveryMs);
  // a deliver job holds one connection at a time: more jobs at once than connections would only queue
  const deliverDeps = {
    ...deps,
    campaign: live,
    concurrency: Math.min(deps.concurrency, deps.connections ?? deps.concurrency),
  };
  const all: Worker[] = [
    events,
    plan,
    campaigns,
    rfm,
    ...deps.channels.map((channel) => startDeliverWorker(deliverDeps, channel)),
    startWebhooksWorker({
      db: deps.db,
      log,
      now: () => deps.clock.now(),
      connection: deps.connection,
      prefix: deps.prefix,
      installation: deps.installation,
      stalledIntervalMs: deps.stalledIntervalMs,
    }),
  ];
  if (deps.importTarget)
    all.push(
      startImportWorker({
        db: deps.db,
        target: deps.importTarget,
        log,
        now: () => deps.clock.now(),
        connection: deps.connection,
        prefix: deps.prefix,
        installation: deps.installation,
        stalledIntervalMs: deps.stalledIntervalMs,
      }),
    );
  for (const worker of [events, plan, campaigns, rfm]) {
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
