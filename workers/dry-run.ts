import { CronExpressionParser } from "cron-parser";
import type { CompiledCampaign } from "../campaigns/index.ts";
import { type Db, Prisma } from "../lib/db/index.ts";
import { wallText } from "../lib/zoned-time.ts";
import type { Audiences } from "./audiences.ts";
import { type DryRunRow, dryRun } from "./fanout.ts";
import { EARLIEST_ZONE, wallInstant } from "./occurrences.ts";
import type { Brand } from "./template-data.ts";

/**
 * Who a campaign's next occurrence would reach, and how, counted in the database and sent nowhere
 * (`rapport campaigns dry-run`): a schedule's next time (each customer at that wall time in their zone for
 * `timezone: customer`), everyone quiet for the inactivity period now, the segment's members now, or, for an
 * event trigger, every customer of the audience as if each had just done it.
 */
export async function dryRunCampaign(
  db: Db,
  input: { campaign: CompiledCampaign; audiences: Audiences; brand: Brand; now: Date },
): Promise<DryRunRow[]> {
  const { campaign, audiences, now } = input;
  const audience = audiences.sql(campaign, now);
  const trigger = campaign.trigger;
  const once = campaign.limits.oncePerCustomer;
  const base = { campaign, versionId: null, brand: input.brand, now };
  if (trigger.kind === "schedule") {
    const perCustomer = trigger.timezone === "customer";
    const zone = perCustomer ? EARLIEST_ZONE : trigger.timezone;
    const dueAt = trigger.at
      ? wallInstant(trigger.at, zone)
      : CronExpressionParser.parse(trigger.cron!, { currentDate: now, tz: zone }).next().toDate();
    const wall = wallText(dueAt, zone);
    const occurrence = `${trigger.at ? "at" : "cron"}-${wall.replace(":", "-")}`;
    return dryRun(db, {
      ...base,
      where: audience,
      occurrence: once ? Prisma.sql`'once'` : Prisma.sql`${occurrence}::text`,
      due: perCustomer
        ? Prisma.sql`(${wall}::timestamp AT TIME ZONE tz.zone)`
        : Prisma.sql`${dueAt}::timestamptz`,
      defaultZone: perCustomer ? "UTC" : trigger.timezone,
    });
  }
  if (trigger.kind === "inactive") {
    const column =
      trigger.since === "last_purchase"
        ? Prisma.raw(`c."lastPurchaseAt"`)
        : Prisma.raw(`COALESCE(c."lastInteractionAt", c."createdAt")`);
    return dryRun(db, {
      ...base,
      where: Prisma.sql`(${audience}) AND ${column} <= ${new Date(now.getTime() - trigger.forMs)}`,
      occurrence: once
        ? Prisma.sql`'once'`
        : Prisma.sql`'quiet-' || floor(extract(epoch from ${column}))::bigint::text`,
      due: Prisma.sql`${now}::timestamptz`,
      defaultZone: "UTC",
    });
  }
  const where =
    trigger.kind === "segment_entered"
      ? Prisma.sql`(${audience}) AND (${audiences.segmentSql(trigger.segment, now)})`
      : audience;
  return dryRun(db, {
    ...base,
    where,
    occurrence: once ? Prisma.sql`'once'` : Prisma.sql`'dry-run'`,
    due: Prisma.sql`${now}::timestamptz`,
    defaultZone: "UTC",
  });
}
