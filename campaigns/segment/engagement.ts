import { type ChannelName, SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import type { SegmentFacts } from "./facts.ts";
import type { ScalarField } from "./fields.ts";

/**
 * Engagement in segments: how often a customer opened, clicked, answered or bought after our messages, over
 * a window (`opened(30d)`), on every channel or one (`clicked(30d, "email")`). Each counts Delivery rows:
 * - `opened`: deliveries opened (Delivery.openedAt) within the window;
 * - `clicked`: deliveries clicked (Delivery.clickedAt) within the window;
 * - `replied`: deliveries sent within the window that the customer answered on the same channel within
 *   {@link REPLY_WITHIN_HOURS} hours (an inbound Interaction from the customer);
 * - `converted`: deliveries whose goal was reached (Delivery.convertedAt, workers/goals.ts) within the window.
 */
export const ENGAGEMENT_METRICS = ["opened", "clicked", "replied", "converted"] as const;
export type EngagementMetric = (typeof ENGAGEMENT_METRICS)[number];

/** An answer this long after a delivery, on its channel, counts as a reply to it. */
export const REPLY_WITHIN_HOURS = 48;

/** The longest window an engagement count takes: the facts of one customer hold this much history. */
export const MAX_ENGAGEMENT_WINDOW_MS = 365 * 86_400_000;

/** One engagement of a customer, as the in-memory predicate counts them. */
export interface EngagementFact {
  kind: EngagementMetric;
  channel: string;
  at: Date;
}

/** True for `opened`, `clicked`, `replied` and `converted`. */
export function isEngagementMetric(name: string): name is EngagementMetric {
  return (ENGAGEMENT_METRICS as readonly string[]).includes(name);
}

/** True when the customer of `d` answered it on its channel within {@link REPLY_WITHIN_HOURS} hours. */
const ANSWERED = Prisma.sql`EXISTS (SELECT 1 FROM "Interaction" i
  WHERE i."customerId" = d."customerId" AND i.channel = d.channel AND i.direction = 'inbound'
    AND i.author = 'customer' AND i."sentAt" > d."sentAt"
    AND i."sentAt" <= d."sentAt" + ${Prisma.raw(`interval '${REPLY_WITHIN_HOURS} hours'`)})`;

/** When a delivery `d` counts for a metric (null: it does not). */
const MOMENT: Record<EngagementMetric, Prisma.Sql> = {
  opened: Prisma.sql`d."openedAt"`,
  clicked: Prisma.sql`d."clickedAt"`,
  replied: Prisma.sql`(CASE WHEN ${ANSWERED} THEN d."sentAt" END)`,
  converted: Prisma.sql`d."convertedAt"`,
};

function timestamp(ms: number): Prisma.Sql {
  return Prisma.sql`${new Date(ms).toISOString().slice(0, -1)}::timestamp`;
}

/** How a window is written back: `30d`, else in ms. */
function windowText(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${ms}ms`;
}

/**
 * The count `metric(window[, channel])` as a number field: SQL over the customer `c` at `now`, and the same
 * count over {@link SegmentFacts.engagement} in memory. A window is (now − window, now].
 */
export function engagementField(metric: EngagementMetric, windowMs: number, channel?: string): ScalarField {
  const where = channel === undefined ? "" : `, ${JSON.stringify(channel)}`;
  const moment = MOMENT[metric];
  const onChannel = channel === undefined ? Prisma.empty : Prisma.sql`AND d.channel::text = ${channel}::text`;
  return {
    name: `${metric}(${windowText(windowMs)}${where})`,
    type: "number",
    nullable: false,
    fact: "engagement",
    sql: Prisma.sql`0`,
    sqlAt: (now) => Prisma.sql`(SELECT count(*) FROM "Delivery" d
      WHERE d."customerId" = c.id ${onChannel}
        AND ${moment} > ${timestamp(now.getTime() - windowMs)} AND ${moment} <= ${timestamp(now.getTime())})`,
    read: (facts) => {
      const from = facts.now.getTime() - windowMs;
      const to = facts.now.getTime();
      let count = 0;
      for (const fact of facts.engagement ?? []) {
        const at = fact.at.getTime();
        if (
          fact.kind === metric &&
          at > from &&
          at <= to &&
          (channel === undefined || fact.channel === channel)
        )
          count++;
      }
      return count;
    },
    description: `deliveries ${metric} within the window`,
  };
}

/**
 * `responds_on`: the channel the customer clicks or answers on most (clicks plus replies, all time); a tie goes
 * to the latest response, then to the channel name. Null when they never did.
 */
export const RESPONDS_ON_SQL = Prisma.sql`(SELECT x.channel FROM (
    SELECT d.channel::text AS channel, d."clickedAt" AS at FROM "Delivery" d
      WHERE d."customerId" = c.id AND d."clickedAt" IS NOT NULL
    UNION ALL
    SELECT d.channel::text, d."sentAt" FROM "Delivery" d WHERE d."customerId" = c.id AND ${ANSWERED}
  ) x GROUP BY x.channel ORDER BY count(*) DESC, max(x.at) DESC, x.channel LIMIT 1)`;

/** The `responds_on` field. */
export const RESPONDS_ON_FIELD: ScalarField = {
  name: "responds_on",
  type: "text",
  nullable: true,
  fact: "respondsOn",
  sql: RESPONDS_ON_SQL,
  values: SENDING_CHANNEL_NAMES,
  description: "the channel the customer clicks or answers on most; null when they never did",
};

/**
 * Loads the engagements of some customers within {@link MAX_ENGAGEMENT_WINDOW_MS} before `now`, by customer id:
 * what {@link SegmentFacts.engagement} holds. The moments are those of {@link engagementField}'s SQL.
 */
export function engagementFactsSql(uuids: Prisma.Sql, now: Date): Prisma.Sql {
  const kinds = Prisma.join(
    ENGAGEMENT_METRICS.map((metric) => Prisma.sql`(${metric}::text, ${MOMENT[metric]})`),
  );
  return Prisma.sql`SELECT d."customerId"::text AS id, k.kind, d.channel::text AS channel, k.at
    FROM "Delivery" d CROSS JOIN LATERAL (VALUES ${kinds}) AS k(kind, at)
    WHERE d."customerId" IN (${uuids}) AND k.at > ${timestamp(now.getTime() - MAX_ENGAGEMENT_WINDOW_MS)}
      AND k.at <= ${timestamp(now.getTime())}`;
}

/** Groups the rows of {@link engagementFactsSql} by customer. */
export function engagementByCustomer(
  rows: ReadonlyArray<{ id: string; kind: string; channel: string; at: Date }>,
): Map<string, NonNullable<SegmentFacts["engagement"]>> {
  const byCustomer = new Map<string, EngagementFact[]>();
  for (const row of rows) {
    if (!isEngagementMetric(row.kind)) continue;
    const list = byCustomer.get(row.id) ?? [];
    list.push({ kind: row.kind, channel: row.channel, at: row.at });
    byCustomer.set(row.id, list);
  }
  return byCustomer;
}

/** `responds_on` of one customer: the channel they click or answer on most, or null. */
export async function respondsOnOf(db: Db, customerId: string): Promise<ChannelName | null> {
  const [row] = await db.$queryRaw<Array<{ channel: string | null }>>`
    SELECT ${RESPONDS_ON_SQL} AS channel FROM "Customer" c WHERE c.id = ${customerId}::uuid`;
  return (row?.channel ?? null) as ChannelName | null;
}
