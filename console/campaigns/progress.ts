import type { CampaignTrigger } from "../../campaigns/index.ts";
import type { Locale } from "../../lib/channels.ts";
import type { Db } from "../../lib/db/index.ts";
import type { ReportRow } from "../../workers/index.ts";
import { type Bar, responsiveBarChart, responsiveLineChart } from "../dashboard/charts.ts";
import { formatNumber, formatTime } from "../format.ts";
import { t } from "../i18n.ts";
import { formatPercent } from "./percent.ts";

/** The statuses a Delivery goes through, in the order the page shows them. */
export const PROGRESS_STATUSES = ["planned", "queued", "sent", "failed", "suppressed", "skipped"] as const;
type ProgressStatus = (typeof PROGRESS_STATUSES)[number];

/** One channel's Deliveries of the send, by status. */
export type ChannelProgress = Record<ProgressStatus, number> & {
  channel: string;
  total: number;
  /** Sent, failed, suppressed or skipped: nothing more will happen to them. */
  done: number;
  /** done / total, 0–100, whole. */
  percent: number;
};

/** Messages sent per minute over the send: one value per bucket of `bucketMinutes` minutes from `start`. */
export interface SendRate {
  start: Date;
  bucketMinutes: number;
  /** Sent per minute in each bucket (the bucket's count divided by its minutes). */
  perMinute: number[];
}

/** A campaign's latest send, counted from its Deliveries. */
export interface SendProgress {
  /**
   * What the send is: `run` — the last occurrence a schedule fanned out (from `since`); `day` — a campaign that
   * sends as things happen (events, inactivity, segment entries): the Deliveries created in the last 24 hours.
   */
  scope: "run" | "day";
  since: Date;
  /** Some Deliveries are still planned or queued. */
  running: boolean;
  channels: ChannelProgress[];
  totals: ChannelProgress;
  rate: SendRate;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** Most points of the send-rate chart: a longer send is drawn in buckets of several minutes. */
const RATE_POINTS = 60;

function emptyCounts(channel: string): ChannelProgress {
  return {
    channel,
    planned: 0,
    queued: 0,
    sent: 0,
    failed: 0,
    suppressed: 0,
    skipped: 0,
    total: 0,
    done: 0,
    percent: 0,
  };
}

function finish(counts: ChannelProgress): ChannelProgress {
  counts.total = PROGRESS_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  counts.done = counts.total - counts.planned - counts.queued;
  counts.percent = counts.total === 0 ? 0 : Math.floor((counts.done / counts.total) * 100);
  return counts;
}

/**
 * Where a campaign's latest send starts: for a schedule, the occurrence its scheduler last fanned out (the
 * `campaign:<id>:schedule` cursor; none before the first run); for any other trigger, 24 hours before `now`.
 */
export async function sendStart(
  db: Db,
  campaignId: string,
  trigger: CampaignTrigger | undefined,
  now: Date,
): Promise<{ scope: "run" | "day"; since: Date } | undefined> {
  if (trigger?.kind !== "schedule") return { scope: "day", since: new Date(now.getTime() - DAY_MS) };
  const cursor = await db.channelCursor.findUnique({
    where: { key: `campaign:${campaignId}:schedule` },
    select: { value: true },
  });
  const since = cursor ? new Date(cursor.value) : undefined;
  return since && !Number.isNaN(since.getTime()) ? { scope: "run", since } : undefined;
}

/**
 * The progress of a campaign's send that started at `since`: its Deliveries per channel and status, and the
 * messages sent per minute. Two aggregate statements over the campaign's Deliveries (the `campaignId, status`
 * index), whatever their number: nothing is read row by row into this process.
 */
export async function sendProgress(
  db: Db,
  campaignId: string,
  start: { scope: "run" | "day"; since: Date },
  now: Date,
): Promise<SendProgress> {
  const { since } = start;
  const [counts, minutes] = await Promise.all([
    // grouped on the enums and cast after: casting every row before grouping took half again as long
    db.$queryRaw<{ channel: string; status: ProgressStatus; n: number }[]>`
      SELECT channel::text AS channel, status::text AS status, n FROM (
        SELECT channel, status, count(*)::int AS n
        FROM "Delivery" WHERE "campaignId" = ${campaignId} AND "createdAt" >= ${since}
        GROUP BY channel, status) counts
      ORDER BY 1`,
    db.$queryRaw<{ minute: number; n: number }[]>`
      SELECT floor(extract(epoch from "sentAt") / 60)::float8 AS minute, count(*)::int AS n
      FROM "Delivery" WHERE "campaignId" = ${campaignId} AND status = 'sent'::"DeliveryStatus"
        AND "createdAt" >= ${since} AND "sentAt" IS NOT NULL
      GROUP BY 1 ORDER BY 1`,
  ]);
  const byChannel = new Map<string, ChannelProgress>();
  const totals = emptyCounts("");
  for (const row of counts) {
    const channel = byChannel.get(row.channel) ?? emptyCounts(row.channel);
    byChannel.set(row.channel, channel);
    channel[row.status] += row.n;
    totals[row.status] += row.n;
  }
  const channels = [...byChannel.values()].map(finish);
  finish(totals);
  const running = totals.planned + totals.queued > 0;
  return { ...start, running, channels, totals, rate: sendRate(minutes, running, now) };
}

/** Buckets of sent messages per minute from the first minute sent to the last (or to now, while running). */
function sendRate(minutes: { minute: number; n: number }[], running: boolean, now: Date): SendRate {
  const first = minutes[0]?.minute;
  if (first === undefined) return { start: now, bucketMinutes: 1, perMinute: [] };
  const lastSent = minutes[minutes.length - 1]!.minute;
  const last = running ? Math.max(lastSent, Math.floor(now.getTime() / MINUTE_MS)) : lastSent;
  const span = last - first + 1;
  const bucketMinutes = Math.max(1, Math.ceil(span / RATE_POINTS));
  const buckets = new Array<number>(Math.ceil(span / bucketMinutes)).fill(0);
  for (const { minute, n } of minutes) {
    const index = Math.floor((minute - first) / bucketMinutes);
    buckets[index] = (buckets[index] ?? 0) + n;
  }
  return {
    start: new Date(first * MINUTE_MS),
    bucketMinutes,
    perMinute: buckets.map((n) => n / bucketMinutes),
  };
}

/** What the progress view prints: texts in the staff member's language, the chart as SVG. */
export interface ProgressView {
  campaignId: string;
  running: boolean;
  heading: string;
  state: string;
  channels: Array<ChannelProgress & { name: string; percentText: string }>;
  totals: ChannelProgress & { percentText: string };
  /** A line for all channels under theirs: more than one channel. */
  showTotals: boolean;
  /** The send-rate chart (inline SVG); null before anything was sent. */
  rateChart: string | null;
  /** What the JSON/SSE update carries besides the HTML, for scripts and tests. */
  counts: { running: boolean; totals: ChannelProgress; channels: ChannelProgress[] };
}

/** The progress in the staff member's language, with its send-rate chart. */
export function progressView(
  campaignId: string,
  progress: SendProgress,
  locale: Locale,
  timeZone: string,
  now: Date,
): ProgressView {
  const pct = (share: number) => formatPercent(share, locale, 0) ?? "";
  const sinceText = formatTime(progress.since, locale, timeZone);
  const heading =
    progress.scope === "day"
      ? t(locale, "campaigns.send.headingDay")
      : progress.since.getTime() > now.getTime() - DAY_MS
        ? t(locale, "campaigns.send.headingRun", { time: sinceText })
        : t(locale, "campaigns.send.headingRunDate", {
            date: new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone }).format(progress.since),
            time: sinceText,
          });
  const { totals } = progress;
  const state =
    totals.total === 0
      ? t(locale, "campaigns.send.nothing")
      : progress.running
        ? t(locale, "campaigns.send.running", {
            done: formatNumber(totals.done, locale),
            total: formatNumber(totals.total, locale),
          })
        : t(locale, "campaigns.send.finished", { total: formatNumber(totals.total, locale) });
  return {
    campaignId,
    running: progress.running,
    heading,
    state,
    channels: progress.channels.map((c) => ({
      ...c,
      name: t(locale, `customers.channel.${c.channel as "email"}`),
      percentText: pct(c.done / Math.max(1, c.total)),
    })),
    totals: { ...totals, percentText: pct(totals.done / Math.max(1, totals.total)) },
    showTotals: progress.channels.length > 1,
    rateChart: rateChart(campaignId, progress.rate, locale, timeZone),
    counts: { running: progress.running, totals, channels: progress.channels },
  };
}

function rateChart(campaignId: string, rate: SendRate, locale: Locale, timeZone: string): string | null {
  if (rate.perMinute.length === 0) return null;
  const fmt = (n: number) => formatNumber(n, locale, n < 10 && !Number.isInteger(n) ? 1 : 0);
  const labels = rate.perMinute.map((_, i) =>
    formatTime(new Date(rate.start.getTime() + i * rate.bucketMinutes * MINUTE_MS), locale, timeZone),
  );
  const peak = Math.max(...rate.perMinute);
  return responsiveLineChart({
    id: `send-rate-${campaignId}`,
    title: t(locale, "campaigns.send.rateTitle"),
    description: t(locale, "campaigns.send.rateDescription", {
      from: labels[0] ?? "",
      to: labels[labels.length - 1] ?? "",
      peak: fmt(peak),
    }),
    format: fmt,
    xLabels: labels,
    series: [{ name: t(locale, "campaigns.send.ratePerMinute"), values: rate.perMinute }],
    axisLabel: t(locale, "campaigns.send.ratePerMinute"),
  });
}

const VARIANT_METRICS = ["sent", "opened", "clicked", "conversions"] as const;

/**
 * Results per variant (sent, opened, clicked, conversions from the campaign's running totals) as one bar
 * chart, each variant's bars together and each measure in its own colour; null without any variant.
 */
export function variantChart(campaignId: string, rows: ReportRow[], locale: Locale): string | null {
  const variants = rows.filter((row) => row.variant !== null && row.variant !== "holdout");
  if (variants.length === 0) return null;
  const steps = new Set(variants.map((row) => row.step));
  const bars: Bar[] = variants.flatMap((row) => {
    const name = steps.size > 1 ? `${row.step} · ${row.variant}` : (row.variant ?? "");
    return VARIANT_METRICS.map((metric, series) => ({
      label: `${name} · ${t(locale, `campaigns.${metric}`)}`,
      value: row[metric],
      valueText: formatNumber(row[metric], locale),
      series,
    }));
  });
  return responsiveBarChart({
    id: `variants-${campaignId}`,
    title: t(locale, "campaigns.send.variantsTitle"),
    description: t(locale, "campaigns.send.variantsDescription", {
      variants: variants.map((row) => row.variant ?? "").join(", "),
    }),
    format: (n) => formatNumber(n, locale),
    bars,
    axisLabel: t(locale, "campaigns.send.messages"),
  });
}
