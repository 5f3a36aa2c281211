import type { Locale } from "../../lib/channels.ts";
import { CHANNEL_NAMES } from "../../lib/channels.ts";
import { formatPercent } from "../campaigns/percent.ts";
import { formatMoney, formatNumber } from "../format.ts";
import { t } from "../i18n.ts";
import { responsiveBarChart, responsiveLineChart } from "./charts.ts";
import type { RevenueLine } from "./revenue.ts";
import type { DashboardData } from "./summary.ts";

/** Seconds as a short duration in a locale: "45 sec", "12.5 min", "3.2 hr" (en). */
export function formatDuration(seconds: number | null, locale: string): string | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  const [unit, value] =
    seconds < 120
      ? (["second", seconds] as const)
      : seconds < 7200
        ? (["minute", seconds / 60] as const)
        : (["hour", seconds / 3600] as const);
  return formatter(
    `u|${locale}|${unit}`,
    () =>
      new Intl.NumberFormat(locale, {
        style: "unit",
        unit,
        unitDisplay: "short",
        maximumFractionDigits: unit === "second" ? 0 : 1,
      }),
  ).format(value);
}

/**
 * Formatters built once per locale and kind: a page formats hundreds of numbers and sixty day labels, and
 * building an `Intl` formatter costs far more than using one.
 */
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
function formatter<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let found = formatters.get(key) as T | undefined;
  if (!found) {
    found = make();
    formatters.set(key, found);
  }
  return found;
}

/** A count in a locale, through a cached formatter: "1,234", "1.234", "1 234". */
const count = (value: number, locale: string) =>
  formatter(`n|${locale}`, () => new Intl.NumberFormat(locale)).format(value);

/** A local date ("2026-03-01") as a chart's label ("Mar 1") or a table's ("Sun, Mar 1"), in a locale. */
export const dayLabel = (day: string, locale: string, style: "short" | "long") =>
  formatter(
    `d|${locale}|${style}`,
    () =>
      new Intl.DateTimeFormat(locale, {
        timeZone: "UTC",
        ...(style === "short"
          ? { month: "short", day: "numeric" }
          : { weekday: "short", month: "short", day: "numeric" }),
      }),
  ).format(new Date(`${day}T00:00:00Z`));

/** Revenue lines grouped by currency (never added across currencies), each with its chart. */
function revenueCharts<T extends RevenueLine>(
  lines: T[],
  id: string,
  label: (line: T) => string,
  title: string,
  locale: Locale,
) {
  const currencies = [...new Set(lines.map((l) => l.currency))];
  return currencies.map((currency) => {
    const mine = lines.filter((l) => l.currency === currency);
    const chartTitle = `${title} (${currency})`;
    return {
      currency,
      chart: responsiveBarChart({
        id: `${id}-${currency.toLowerCase()}`,
        title: chartTitle,
        description: t(locale, "dashboard.revenueDesc", { currency }),
        axisLabel: t(locale, "dashboard.revenueAxis", { currency }),
        format: (v) => formatMoney(v, currency, locale),
        bars: mine.map((l) => ({
          label: label(l),
          value: Number(l.amount),
          valueText: formatMoney(l.amount, currency, locale),
        })),
      }),
    };
  });
}

/**
 * The dashboard page's model: each section's SVG chart (server-side, escaped) and the rows of the table under
 * it, with numbers, money, dates and durations formatted in the staff member's locale.
 */
export function dashboardView(data: DashboardData, locale: Locale) {
  const n = (value: number) => count(value, locale);
  const channel = (name: string) => t(locale, `customers.channel.${name as "email"}`);
  const { messages, responses, funnel, revenue, sources } = data;
  const inbound = messages.reduce((sum, d) => sum + d.inbound, 0);
  const outbound = messages.reduce((sum, d) => sum + d.outbound, 0);
  const activeChannels = CHANNEL_NAMES.filter((c) =>
    messages.some((d) => d.byChannel[c].inbound + d.byChannel[c].outbound > 0),
  );
  const inboundName = t(locale, "dashboard.inbound");
  const outboundName = t(locale, "dashboard.outbound");
  const minutes = (s: number | null) => (s === null ? 0 : s / 60);
  const steps = (["planned", "sent", "delivered", "converted"] as const).map((step) => ({
    step,
    label: t(locale, `dashboard.funnel.${step}`),
    count: funnel[step],
    share: formatPercent(funnel.planned ? funnel[step] / funnel.planned : null, locale),
  }));
  const sourceLabel = (source: string | null) =>
    source === null
      ? t(locale, "dashboard.sourceUnknown")
      : source === "*"
        ? t(locale, "dashboard.sourceOther")
        : source;
  return {
    from: data.window.days[0],
    to: data.window.days[data.window.days.length - 1],
    zone: data.window.zone,
    computedAt: data.computedAt,
    messages: {
      inbound,
      outbound,
      channels: activeChannels.map((c) => ({ name: channel(c) })),
      chart: responsiveLineChart({
        id: "chart-messages",
        title: t(locale, "dashboard.messagesTitle"),
        description: t(locale, "dashboard.messagesDesc", { inbound: n(inbound), outbound: n(outbound) }),
        axisLabel: t(locale, "dashboard.messagesAxis"),
        format: n,
        xLabels: messages.map((d) => dayLabel(d.day, locale, "short")),
        series: [
          { name: inboundName, values: messages.map((d) => d.inbound) },
          { name: outboundName, values: messages.map((d) => d.outbound) },
        ],
      }),
      // formatted here (cached formatters): 30 days × channels would be hundreds of helper calls
      inboundText: n(inbound),
      outboundText: n(outbound),
      // newest first: today's row is the one staff look for
      rows: [...messages].reverse().map((d) => ({
        day: d.day,
        label: dayLabel(d.day, locale, "long"),
        inbound: n(d.inbound),
        outbound: n(d.outbound),
        cells: activeChannels.map((c) => `${n(d.byChannel[c].inbound)} / ${n(d.byChannel[c].outbound)}`),
      })),
    },
    responses: {
      ...responses,
      median: formatDuration(responses.medianSeconds, locale),
      p90: formatDuration(responses.p90Seconds, locale),
      chart: responsiveBarChart({
        id: "chart-response",
        title: t(locale, "dashboard.responseTitle"),
        description: t(locale, "dashboard.responseDesc", {
          answered: n(responses.answered),
          opened: n(responses.opened),
        }),
        axisLabel: t(locale, "dashboard.minutesAxis"),
        format: (v) => formatNumber(v, locale, 1),
        bars: [
          { label: t(locale, "dashboard.median"), value: minutes(responses.medianSeconds) },
          { label: t(locale, "dashboard.p90"), value: minutes(responses.p90Seconds) },
        ].map((bar, i) => ({
          ...bar,
          valueText:
            formatDuration(i === 0 ? responses.medianSeconds : responses.p90Seconds, locale) ??
            t(locale, "dashboard.none"),
        })),
      }),
    },
    csat: {
      ...data.csat,
      averageText: data.csat.average === null ? null : formatNumber(data.csat.average, locale, 2),
      satisfiedText: formatPercent(data.csat.satisfied, locale),
      rows: data.csat.distribution.map((d) => ({
        ...d,
        label: t(locale, "dashboard.score", { score: d.score }),
        share: formatPercent(data.csat.total ? d.count / data.csat.total : null, locale),
      })),
      chart: responsiveBarChart({
        id: "chart-csat",
        title: t(locale, "dashboard.csatTitle"),
        description: t(locale, "dashboard.csatDesc", { total: n(data.csat.total) }),
        axisLabel: t(locale, "dashboard.ratingsAxis"),
        format: n,
        bars: data.csat.distribution.map((d) => ({
          label: t(locale, "dashboard.score", { score: d.score }),
          value: d.count,
          valueText: n(d.count),
        })),
      }),
    },
    funnel: {
      steps,
      chart: responsiveBarChart({
        id: "chart-funnel",
        title: t(locale, "dashboard.funnelTitle"),
        description: t(locale, "dashboard.funnelDesc", {
          planned: n(funnel.planned),
          converted: n(funnel.converted),
        }),
        axisLabel: t(locale, "dashboard.messagesAxis"),
        format: n,
        bars: steps.map((s) => ({ label: s.label, value: s.count, valueText: n(s.count) })),
      }),
    },
    revenue: {
      byChannel: revenue.byChannel.map((r) => ({ ...r, name: channel(r.channel) })),
      byCampaign: revenue.byCampaign,
      channelCharts: revenueCharts(
        revenue.byChannel,
        "chart-revenue-channel",
        (l) => channel(l.channel),
        t(locale, "dashboard.revenueChannelTitle"),
        locale,
      ),
      campaignCharts: revenueCharts(
        revenue.byCampaign,
        "chart-revenue-campaign",
        (l) => l.name,
        t(locale, "dashboard.revenueCampaignTitle"),
        locale,
      ),
    },
    sources: {
      total: sources.reduce((sum, s) => sum + s.count, 0),
      rows: sources.map((s) => ({ label: sourceLabel(s.source), count: s.count })),
      chart: responsiveBarChart({
        id: "chart-sources",
        title: t(locale, "dashboard.sourcesTitle"),
        description: t(locale, "dashboard.sourcesDesc", {
          total: n(sources.reduce((sum, s) => sum + s.count, 0)),
        }),
        axisLabel: t(locale, "dashboard.customersAxis"),
        format: n,
        bars: sources.map((s) => ({ label: sourceLabel(s.source), value: s.count, valueText: n(s.count) })),
      }),
    },
  };
}
