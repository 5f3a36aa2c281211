import type { Job } from "bullmq";
import type { CompiledCampaign } from "../campaigns/index.ts";
import type { Clock } from "../lib/clock.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { jobId } from "../lib/ids.ts";
import type { Logger } from "../lib/logger.ts";
import type { Audiences } from "./audiences.ts";
import type { CampaignRegistry } from "./campaign-registry.ts";
import { type FanOutResult, type FanOutTarget, fanOut } from "./fanout.ts";
import { type Stamped, stamp } from "./installation.ts";
import { expireLoyaltyPoints } from "./loyalty.ts";
import { dueOccurrence } from "./occurrences.ts";
import { JOB_RETENTION, QUEUE, type QueueContext, queueFor } from "./queues.ts";
import type { Brand } from "./template-data.ts";

/** Jobs of the `campaigns` queue: the clock's tick, and one fan-out of one campaign occurrence. */
export type ScheduleJob = Stamped &
  (
    | { kind: "tick" }
    | { kind: "schedule"; campaignId: string; occurrence: string; dueAt: string; wallTime?: string }
    | { kind: "inactive"; campaignId: string; threshold: string; since?: string }
    | { kind: "segment"; campaignId: string; segment: string; since: string; until: string }
  );

/** Dependencies of the campaigns queue. */
export interface ScheduleDeps {
  db: Db;
  queues: QueueContext;
  clock: Clock;
  log: Logger;
  brand: Brand;
  registry: CampaignRegistry;
  audiences: Audiences;
}

const cursorKey = (...parts: string[]) => ["campaign", ...parts].join(":");

async function readCursor(db: Db, key: string): Promise<string | undefined> {
  return (await db.channelCursor.findUnique({ where: { key } }))?.value;
}

async function writeCursor(db: Db, key: string, value: string): Promise<void> {
  await db.channelCursor.upsert({ where: { key }, create: { key, value }, update: { value } });
}

const FANOUT_OPTIONS = {
  attempts: 10,
  backoff: { type: "exponential" as const, delay: 5_000 },
  ...JOB_RETENTION,
};

/**
 * Registers the clock: one tick every `everyMs` (default 60 000) on the `campaigns` queue, however many
 * processes run it (a BullMQ job scheduler is one per queue).
 */
export async function startCampaignClock(queues: QueueContext, everyMs = 60_000): Promise<void> {
  await queueFor<ScheduleJob>(queues, QUEUE.campaigns).upsertJobScheduler(
    "campaign-clock",
    { every: everyMs },
    { name: "tick", data: stamp(queues, { kind: "tick" as const }), opts: JOB_RETENTION },
  );
}

/**
 * A tick finds what is due and queues one fan-out job for each, with a job id derived from the occurrence
 * so two ticks (or two processes) never queue it twice:
 * - `schedule`: the latest cron or `at` occurrence not yet sent (per-customer schedules fan out when the
 *   earliest timezone reaches the wall time, each customer's Delivery due at that time in their own zone);
 * - `inactive`: customers whose last purchase (or interaction) crossed the threshold since the last tick;
 * - `segment_entered`: customers who joined the segment since the last refresh (the first refresh only
 *   records who is in: people already there did not "enter").
 */
export async function tick(deps: ScheduleDeps): Promise<number> {
  const now = new Date(deps.clock.now());
  const queue = queueFor<ScheduleJob>(deps.queues, QUEUE.campaigns);
  let queued = 0;
  const add = async (data: ScheduleJob, id: string) => {
    await queue.add(data.kind, stamp(deps.queues, data), { jobId: id, ...FANOUT_OPTIONS });
    queued++;
  };
  for (const campaign of deps.registry.active()) {
    const trigger = campaign.trigger;
    if (trigger.kind === "schedule") {
      const last = await readCursor(deps.db, cursorKey(campaign.id, "schedule"));
      const due = dueOccurrence(trigger, now, last ? new Date(last) : undefined);
      if (due) {
        await add(
          {
            kind: "schedule",
            campaignId: campaign.id,
            occurrence: due.id,
            dueAt: due.dueAt.toISOString(),
            ...(due.wallTime && { wallTime: due.wallTime }),
          },
          jobId("fanout", campaign.id, due.id),
        );
      }
    } else if (trigger.kind === "inactive") {
      const threshold = new Date(now.getTime() - trigger.forMs).toISOString();
      const since = await readCursor(deps.db, cursorKey(campaign.id, "inactive"));
      await add(
        { kind: "inactive", campaignId: campaign.id, threshold, ...(since && { since }) },
        jobId("fanout", campaign.id, threshold),
      );
    } else if (trigger.kind === "segment_entered") {
      const since = (await readCursor(deps.db, cursorKey(campaign.id, "segment"))) ?? "";
      await add(
        {
          kind: "segment",
          campaignId: campaign.id,
          segment: trigger.segment,
          since,
          until: now.toISOString(),
        },
        jobId("fanout", campaign.id, now.toISOString()),
      );
    }
  }
  // points that expired since the last tick are written off, so segments read true balances
  await expireLoyaltyPoints(deps.db, now);
  return queued;
}

/** Runs one job of the `campaigns` queue. */
export function processSchedule(deps: ScheduleDeps) {
  return async (job: Job<ScheduleJob>): Promise<number | FanOutResult | undefined> => {
    const data = job.data;
    if (data.kind === "tick") return tick(deps);
    const live = deps.registry.get(data.campaignId);
    if (live?.status !== "active") return undefined;
    const now = new Date(deps.clock.now());
    const target = await targetOf(deps, live.campaign, data, now);
    if (!target) return undefined;
    const result = await fanOut(deps, { ...target, versionId: live.versionId, brand: deps.brand, now });
    if (data.kind === "schedule")
      await writeCursor(deps.db, cursorKey(data.campaignId, "schedule"), data.dueAt);
    if (data.kind === "segment")
      await writeCursor(deps.db, cursorKey(data.campaignId, "segment"), data.until);
    if (data.kind === "inactive")
      await writeCursor(deps.db, cursorKey(data.campaignId, "inactive"), data.threshold);
    return result;
  };
}

type Target = Omit<FanOutTarget, "versionId" | "brand" | "now">;

async function targetOf(
  deps: ScheduleDeps,
  campaign: CompiledCampaign,
  data: Exclude<ScheduleJob, { kind: "tick" }>,
  now: Date,
): Promise<Target | undefined> {
  const audience = deps.audiences.sql(campaign, now);
  const occurrence = (perCustomer: Prisma.Sql) =>
    campaign.limits.oncePerCustomer ? Prisma.sql`'once'` : perCustomer;
  if (data.kind === "schedule") {
    const trigger = campaign.trigger as Extract<CompiledCampaign["trigger"], { kind: "schedule" }>;
    return {
      campaign,
      where: audience,
      occurrence: occurrence(Prisma.sql`${data.occurrence}::text`),
      due: data.wallTime
        ? Prisma.sql`(${data.wallTime}::timestamp AT TIME ZONE tz.zone)`
        : Prisma.sql`${new Date(data.dueAt)}::timestamptz`,
      defaultZone: trigger.timezone === "customer" ? "UTC" : trigger.timezone,
    };
  }
  if (data.kind === "inactive") {
    const trigger = campaign.trigger as Extract<CompiledCampaign["trigger"], { kind: "inactive" }>;
    const column =
      trigger.since === "last_purchase"
        ? Prisma.raw(`c."lastPurchaseAt"`)
        : Prisma.raw(`COALESCE(c."lastInteractionAt", c."createdAt")`);
    const threshold = new Date(data.threshold);
    // only customers who crossed the threshold since the last run: the query stays small however many
    // customers are quiet; the first run takes everyone already quiet (the backlog a win-back is for)
    const since = data.since
      ? Prisma.sql`AND ${column} > ${new Date(data.since)}::timestamptz - interval '1 hour'`
      : Prisma.empty;
    return {
      campaign,
      where: Prisma.sql`(${audience}) AND ${column} <= ${threshold} ${since}`,
      // one message per quiet spell: a purchase starts a new one
      occurrence: occurrence(Prisma.sql`'quiet-' || floor(extract(epoch from ${column}))::bigint::text`),
      due: Prisma.sql`${now}::timestamptz`,
      defaultZone: "UTC",
    };
  }
  // members recorded by a segment's first refresh entered at the epoch: they were there, they did not enter
  await refreshSegment(deps, data.segment, now);
  return {
    campaign,
    where: Prisma.sql`(${audience}) AND EXISTS (SELECT 1 FROM "SegmentMember" m WHERE m.segment = ${data.segment}
      AND m."customerId" = c.id AND m."enteredAt" > ${data.since ? new Date(data.since) : new Date(0)}::timestamptz
      AND m."enteredAt" <= ${new Date(data.until)}::timestamptz)`,
    occurrence: occurrence(
      Prisma.sql`'entered-' || (SELECT floor(extract(epoch from m."enteredAt"))::bigint::text FROM "SegmentMember" m WHERE m.segment = ${data.segment} AND m."customerId" = c.id)`,
    ),
    due: Prisma.sql`${now}::timestamptz`,
    defaultZone: "UTC",
  };
}

/**
 * Brings a segment's stored membership up to date in two set-based statements: who left is removed (so a
 * return counts as entering again), who joined is added with `enteredAt = now`. The first refresh of a
 * segment only records its members (entered at the epoch).
 */
export async function refreshSegment(deps: ScheduleDeps, segment: string, now: Date): Promise<void> {
  const condition = deps.audiences.segmentSql(segment, now);
  const seen = await readCursor(deps.db, `segment:${segment}:refreshed`);
  await deps.db.$executeRaw(Prisma.sql`
    DELETE FROM "SegmentMember" m WHERE m.segment = ${segment} AND NOT EXISTS (
      SELECT 1 FROM "Customer" c WHERE c.id = m."customerId" AND c."mergedIntoId" IS NULL AND (${condition}))`);
  await deps.db.$executeRaw(Prisma.sql`
    INSERT INTO "SegmentMember" (segment, "customerId", "enteredAt")
    SELECT ${segment}, c.id, ${seen ? now : new Date(0)} FROM "Customer" c
    WHERE c."mergedIntoId" IS NULL AND (${condition})
    ON CONFLICT DO NOTHING`);
  if (!seen) await writeCursor(deps.db, `segment:${segment}:refreshed`, now.toISOString());
}
