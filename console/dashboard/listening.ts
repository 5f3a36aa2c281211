import type { Locale } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { formatPercent } from "../campaigns/percent.ts";
import { t } from "../i18n.ts";
import { responsiveLineChart } from "./charts.ts";
import { localDate, utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** Days the dashboard's listening card covers. */
export const LISTENING_DAYS = 14;

/** The listening desk's figures for a window. */
export interface ListeningFigures {
  /** Public posts per local day, oldest first, every day present: mentions of the brand and keyword hits. */
  days: Array<{ day: string; mentions: number; keywordHits: number }>;
  total: number;
  /** Of those, how many staff answered (a public reply or a DM from the desk). */
  answered: number;
  /** Seconds from the post to the first answer, median; null without any answer. */
  medianSeconds: number | null;
}

/**
 * The listening card's figures: the window's `ListeningHit` rows by local day (a post with "mention" among its
 * keywords counts as a mention, any other as a keyword hit), how many were answered, and the median of
 * `answeredAt - sentAt` (`percentile_cont`). One pass over the window's hits, by the (sentAt) index.
 */
export async function listeningFigures(db: Db, window: DashboardWindow): Promise<ListeningFigures> {
  const inWindow = Prisma.sql`h."sentAt" >= ${utc(window.from)} AND h."sentAt" < ${utc(window.to)}`;
  const [perDay, [totals]] = await Promise.all([
    db.$queryRaw<Array<{ day: string; mentions: number; keywordHits: number }>>(Prisma.sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, mentions, "keywordHits" FROM (
        SELECT ${localDate(Prisma.sql`h."sentAt"`, window.offsets)} AS day,
          count(*) FILTER (WHERE 'mention' = ANY(h.keywords))::int AS mentions,
          count(*) FILTER (WHERE NOT ('mention' = ANY(COALESCE(h.keywords, '{}'))))::int AS "keywordHits"
        FROM "ListeningHit" h WHERE ${inWindow} GROUP BY 1
      ) per_day`),
    db.$queryRaw<Array<{ total: number; answered: number; medianSeconds: number | null }>>(Prisma.sql`
      SELECT count(*)::int AS total, count(h."answeredAt")::int AS answered,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM h."answeredAt" - h."sentAt"))::float8)
          FILTER (WHERE h."answeredAt" IS NOT NULL) AS "medianSeconds"
      FROM "ListeningHit" h WHERE ${inWindow}`),
  ]);
  const byDay = new Map(perDay.map((row) => [row.day, row]));
  return {
    days: window.days.map((day) => ({
      day,
      mentions: byDay.get(day)?.mentions ?? 0,
      keywordHits: byDay.get(day)?.keywordHits ?? 0,
    })),
    total: totals?.total ?? 0,
    answered: totals?.answered ?? 0,
    medianSeconds: totals?.medianSeconds ?? null,
  };
}

/** The card's model: its chart and its three figures, formatted in the staff member's locale. */
export function listeningCard(
  figures: ListeningFigures,
  locale: Locale,
  format: {
    count: (value: number) => string;
    day: (day: string) => string;
    duration: (seconds: number | null) => string | null;
  },
) {
  const mentions = figures.days.reduce((sum, d) => sum + d.mentions, 0);
  return {
    ...figures,
    totalText: format.count(figures.total),
    answeredShare: formatPercent(figures.total ? figures.answered / figures.total : null, locale),
    median: format.duration(figures.medianSeconds),
    chart: responsiveLineChart({
      id: "chart-listening",
      title: t(locale, "listening.dashboard.perDay"),
      description: t(locale, "listening.dashboard.perDayDesc", {
        mentions: format.count(mentions),
        keywordHits: format.count(figures.total - mentions),
      }),
      axisLabel: t(locale, "listening.dashboard.axis"),
      format: format.count,
      xLabels: figures.days.map((d) => format.day(d.day)),
      series: [
        { name: t(locale, "listening.dashboard.mentions"), values: figures.days.map((d) => d.mentions) },
        {
          name: t(locale, "listening.dashboard.keywordHits"),
          values: figures.days.map((d) => d.keywordHits),
        },
      ],
    }),
  };
}
