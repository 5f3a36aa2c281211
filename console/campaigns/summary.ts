import { CronExpressionParser } from "cron-parser";
import type { CampaignTrigger, CompiledCampaign } from "../../campaigns/index.ts";
import type { Locale } from "../../lib/channels.ts";
import type { Db } from "../../lib/db/index.ts";
import { wallText } from "../../lib/zoned-time.ts";
import type { Audiences } from "../../workers/index.ts";
import { EARLIEST_ZONE, wallInstant } from "../../workers/occurrences.ts";
import type { TtlCache } from "../dashboard/cache.ts";
import { formatNumber, formatRelative } from "../format.ts";
import { type ConsoleTextKey, t } from "../i18n.ts";

/** The zone a wall time reaches last (UTC−12): a per-customer one-off is over once it has passed there. */
const LATEST_ZONE = "Etc/GMT+12";

/** What the summary reads from the database: the audience's size now and the last run. Cached a minute. */
interface SummaryFigures {
  /** Customers in the audience now; null when the server has no audiences to count with. */
  audienceSize: number | null;
  /** The last fan-out of a schedule, else the last message sent; null before any. */
  lastAt: Date | null;
  /** Sent in that run (schedule), or in the 24 hours to now (other triggers). */
  sent: number;
}

/** The campaign page's opening lines, as sentences, and whether a one-off's date has passed. */
export interface CampaignSummary {
  trigger: string;
  audience: string;
  limits: string[];
  next: string | null;
  last: string;
  /** A one-off schedule whose date has passed: the page says so instead of "Active". */
  finished: string | null;
}

type Schedule = Extract<CampaignTrigger, { kind: "schedule" }>;

const DAY_MS = 86_400_000;
const SEGMENT_ONLY = /^\s*segment\(\s*([a-z0-9_-]+)\s*\)\s*$/i;

/** The compiled plan of a campaign's current version; undefined before it was shipped. */
export async function currentCompiled(db: Db, campaignId: string): Promise<CompiledCampaign | undefined> {
  const rows = await db.$queryRaw<{ compiled: unknown }[]>`
    SELECT v.compiled FROM "Campaign" c JOIN "CampaignVersion" v ON v.id = c."currentVersionId"
    WHERE c.id = ${campaignId}`;
  return rows[0]?.compiled as CompiledCampaign | undefined;
}

/**
 * The audience's size now (one count over the customers, the audience as SQL) and the last run: for a
 * schedule, the occurrence the scheduler last fanned out (its cursor) and what was sent since; for other
 * triggers, the last message sent and the count of the last 24 hours. Reused for the cache's minute.
 */
export async function summaryFigures(
  db: Db,
  campaign: CompiledCampaign,
  audiences: Audiences | undefined,
  now: Date,
  cache?: TtlCache,
): Promise<SummaryFigures> {
  const read = async (): Promise<SummaryFigures> => {
    const count = audiences
      ? db.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM "Customer" c
          WHERE c."mergedIntoId" IS NULL AND ${audiences.sql(campaign, now)}`
      : Promise.resolve(null);
    const cursor =
      campaign.trigger.kind === "schedule"
        ? await db.channelCursor.findUnique({
            where: { key: `campaign:${campaign.id}:schedule` },
            select: { value: true },
          })
        : null;
    const ranAt = cursor ? new Date(cursor.value) : null;
    const since = campaign.trigger.kind === "schedule" ? ranAt : new Date(now.getTime() - DAY_MS);
    const [sizeRows, sentRows] = await Promise.all([
      count,
      db.$queryRaw<{ last: Date | null; n: number }[]>`
        SELECT max("sentAt") AS last,
               count(*) FILTER (WHERE "createdAt" >= ${since ?? now})::int AS n
        FROM "Delivery" WHERE "campaignId" = ${campaign.id} AND status = 'sent'::"DeliveryStatus"`,
    ]);
    const sent = sentRows[0];
    return {
      audienceSize: sizeRows ? (sizeRows[0]?.n ?? 0) : null,
      lastAt: campaign.trigger.kind === "schedule" ? ranAt : (sent?.last ?? null),
      sent: since ? (sent?.n ?? 0) : 0,
    };
  };
  return cache ? cache.get(`campaigns:summary:${campaign.id}:${campaign.contentHash}`, read) : read();
}

/** "Thursday, 10 December at 09:00" in the locale, on the zone's clock. */
function longDate(at: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    weekday: "long",
    day: "numeric",
    month: "long",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  }).format(at);
}

/** "4 December" (with the year when it is not this year's). */
function dayMonth(at: Date, locale: Locale, timeZone: string, now: Date): string {
  const year = (d: Date) => new Intl.DateTimeFormat("en", { year: "numeric", timeZone }).format(d);
  return new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "long",
    ...(year(at) !== year(now) && { year: "numeric" }),
    timeZone,
  }).format(at);
}

const UNITS: [Intl.NumberFormatOptions["unit"], number][] = [
  ["day", DAY_MS],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];

/** A duration in the largest whole unit: "60 days", "2 jam", "30 minut". */
export function formatDuration(ms: number, locale: Locale): string {
  const [unit, size] = UNITS.find(([, size]) => ms % size === 0 && ms >= size) ?? ["second", 1_000];
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(
    Math.round(ms / size),
  );
}

function channelsPhrase(campaign: CompiledCampaign, locale: Locale): string {
  const names = campaign.channels.map((channel) =>
    channel === "preferred"
      ? t(locale, "campaigns.summary.preferred")
      : t(locale, `campaigns.summary.channel.${channel}`),
  );
  if (names.length === 1) return t(locale, "campaigns.summary.by", { channels: names[0] });
  const list = new Intl.ListFormat(locale, { type: "disjunction" }).format(names);
  return t(locale, "campaigns.summary.byFirst", { channels: list });
}

function eventName(event: string, locale: Locale): string {
  const key = `campaigns.summary.eventName.${event}`;
  return KNOWN_EVENTS.has(event) ? t(locale, key as ConsoleTextKey) : event;
}

const KNOWN_EVENTS = new Set(["purchase", "refund", "cart_abandoned", "rating"]);

/** When a schedule sends, on its own clock or each customer's. */
function scheduleDate(at: Date, trigger: Schedule, locale: Locale): string {
  if (trigger.timezone === "customer")
    return t(locale, "campaigns.summary.customerTime", { date: longDate(at, locale, "UTC") });
  return `${longDate(at, locale, trigger.timezone)} (${trigger.timezone})`;
}

/** A one-off's time: on the schedule's clock, or as the wall time (read in UTC) for each customer's own. */
function atInstant(trigger: Schedule): Date {
  return wallInstant(trigger.at!, trigger.timezone === "customer" ? "UTC" : trigger.timezone);
}

/** The next occurrence of a schedule after `now` (per-customer: the wall time, as a UTC instant); null when a one-off has passed. */
function nextOccurrence(trigger: Schedule, now: Date): Date | null {
  const perCustomer = trigger.timezone === "customer";
  if (trigger.at) {
    const last = wallInstant(trigger.at, perCustomer ? LATEST_ZONE : trigger.timezone);
    return last > now ? atInstant(trigger) : null;
  }
  const zone = perCustomer ? EARLIEST_ZONE : trigger.timezone;
  const next = CronExpressionParser.parse(trigger.cron!, { currentDate: now, tz: zone }).next().toDate();
  return perCustomer ? wallInstant(wallText(next, zone), "UTC") : next;
}

/** True for a one-off schedule (`at`) whose time has passed everywhere it is sent: nothing more will go out. */
export function oneOffPassed(trigger: CampaignTrigger, now: Date): boolean {
  return trigger.kind === "schedule" && trigger.at !== undefined && nextOccurrence(trigger, now) === null;
}

function triggerSentence(campaign: CompiledCampaign, locale: Locale): string {
  const channels = channelsPhrase(campaign, locale);
  const trigger = campaign.trigger;
  switch (trigger.kind) {
    case "event": {
      const when =
        trigger.delayMs === 0
          ? t(locale, "campaigns.summary.rightAway")
          : t(locale, "campaigns.summary.later", { duration: formatDuration(trigger.delayMs, locale) });
      const where = Object.entries(trigger.where)
        .map(([key, value]) => `${key} = ${String(value)}`)
        .join(", ");
      return t(locale, where ? "campaigns.summary.eventWhere" : "campaigns.summary.event", {
        event: eventName(trigger.event, locale),
        when,
        where,
        channels,
      });
    }
    case "inactive":
      return t(
        locale,
        trigger.since === "last_purchase"
          ? "campaigns.summary.inactivePurchase"
          : "campaigns.summary.inactiveInteraction",
        { duration: formatDuration(trigger.forMs, locale), channels },
      );
    case "schedule":
      if (trigger.at)
        return t(locale, "campaigns.summary.once", {
          date: scheduleDate(atInstant(trigger), trigger, locale),
          channels,
        });
      return t(locale, "campaigns.summary.cron", {
        cron: trigger.cron,
        zone: zoneName(trigger, locale),
        channels,
      });
    case "segment_entered":
      return t(locale, "campaigns.summary.segmentEntered", { segment: trigger.segment, channels });
  }
}

function zoneName(trigger: Schedule, locale: Locale): string {
  return trigger.timezone === "customer" ? t(locale, "campaigns.summary.eachCustomer") : trigger.timezone;
}

function audienceSentence(campaign: CompiledCampaign, size: number | null, locale: Locale): string {
  const count =
    size === null
      ? t(locale, "campaigns.summary.sizeUnknown")
      : t(locale, "campaigns.summary.sizeNow", { count: formatNumber(size, locale) });
  if (!campaign.audience) return t(locale, "campaigns.summary.everyone", { count });
  const segment = SEGMENT_ONLY.exec(campaign.audience)?.[1];
  return segment
    ? t(locale, "campaigns.summary.inSegment", { segment, count })
    : t(locale, "campaigns.summary.matching", { expression: campaign.audience, count });
}

function messages(n: number, locale: Locale): string {
  const one = new Intl.PluralRules(locale).select(n) === "one";
  return `${formatNumber(n, locale)} ${t(locale, one ? "campaigns.summary.message.one" : "campaigns.summary.message.other")}`;
}

function limitSentences(campaign: CompiledCampaign, locale: Locale): string[] {
  const { limits } = campaign;
  const lines: string[] = [];
  if (campaign.kind === "transactional") lines.push(t(locale, "campaigns.summary.transactional"));
  if (limits.oncePerCustomer) lines.push(t(locale, "campaigns.summary.once_per_customer"));
  if (limits.maxPerDay !== undefined)
    lines.push(t(locale, "campaigns.summary.perDay", { messages: messages(limits.maxPerDay, locale) }));
  if (limits.maxPerWeek !== undefined)
    lines.push(t(locale, "campaigns.summary.perWeek", { messages: messages(limits.maxPerWeek, locale) }));
  if (limits.quietHours)
    lines.push(
      t(locale, "campaigns.summary.quietHours", limits.quietHours as { start: string; end: string }),
    );
  if (campaign.holdoutPercent)
    lines.push(t(locale, "campaigns.summary.holdout", { percent: campaign.holdoutPercent }));
  if (lines.length === 0) lines.push(t(locale, "campaigns.summary.noLimits"));
  return lines;
}

/** The summary's sentences in the staff member's language, from the compiled campaign and its figures. */
export function campaignSummary(
  campaign: CompiledCampaign,
  status: string,
  figures: SummaryFigures,
  now: Date,
  locale: Locale,
): CampaignSummary {
  const trigger = campaign.trigger;
  let next: string | null = null;
  let finished: string | null = null;
  if (trigger.kind === "schedule") {
    const at = nextOccurrence(trigger, now);
    if (at === null) {
      const zone = trigger.timezone === "customer" ? "UTC" : trigger.timezone;
      const date = dayMonth(atInstant(trigger), locale, zone, now);
      finished = t(locale, "campaigns.summary.finished", { date });
    } else if (status === "active") {
      next = t(locale, "campaigns.summary.next", { date: scheduleDate(at, trigger, locale) });
    }
  }
  if (!finished && status !== "active")
    next = t(locale, "campaigns.summary.nextNone", {
      status: t(locale, `campaigns.status.${status as "draft"}`).toLowerCase(),
    });
  const last =
    figures.lastAt === null
      ? t(locale, "campaigns.summary.neverRan")
      : t(locale, trigger.kind === "schedule" ? "campaigns.summary.lastRan" : "campaigns.summary.lastSent", {
          when: formatRelative(figures.lastAt, now.getTime(), locale),
          sent: formatNumber(figures.sent, locale),
        });
  return {
    trigger: triggerSentence(campaign, locale),
    audience: audienceSentence(campaign, figures.audienceSize, locale),
    limits: limitSentences(campaign, locale),
    next,
    last,
    finished,
  };
}
