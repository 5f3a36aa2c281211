import type { CompiledCampaign } from "../campaigns/index.ts";
import { type Db, Prisma } from "../lib/db/index.ts";

/** A stored event that may complete campaigns' goals. */
export interface GoalEvent {
  id: string;
  type: string;
  customerId: string;
  occurredAt: Date;
  value: Prisma.Decimal | null;
}

/**
 * Credits an event to the campaigns whose goal it meets: for each campaign with `goal.event` equal to the
 * event's type, the customer's latest Delivery of it that went out (or was held back, for the hold-out
 * group's baseline) within `goal.within` before the event gets `convertedAt`, the event and its value as
 * revenue. Last touch per campaign; a Delivery converts once.
 * @returns the ids of the campaigns credited.
 */
export async function attributeConversion(
  db: Db,
  campaigns: readonly CompiledCampaign[],
  event: GoalEvent,
): Promise<string[]> {
  const credited: string[] = [];
  for (const campaign of campaigns) {
    if (!campaign.goal || campaign.goal.event !== event.type) continue;
    const from = new Date(event.occurredAt.getTime() - campaign.goal.withinMs);
    const touched = Prisma.sql`COALESCE(d."sentAt", d."scheduledAt")`;
    const updated = await db.$executeRaw(Prisma.sql`
      UPDATE "Delivery" SET "convertedAt" = ${event.occurredAt}, "conversionEventId" = ${event.id}::uuid,
        revenue = ${event.value}
      WHERE id = (
        SELECT d.id FROM "Delivery" d
        WHERE d."customerId" = ${event.customerId}::uuid AND d."campaignId" = ${campaign.id}
          AND (d.status = 'sent' OR (d.status = 'skipped' AND d.reason = 'holdout'))
          AND ${touched} <= ${event.occurredAt} AND ${touched} > ${from}
        ORDER BY ${touched} DESC LIMIT 1)
      AND "convertedAt" IS NULL`);
    if (updated > 0) credited.push(campaign.id);
  }
  return credited;
}
