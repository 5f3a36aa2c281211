import { RFM_SEGMENTS, rfmDistribution } from "../../campaigns/index.ts";
import type { Locale } from "../../lib/channels.ts";
import type { Db } from "../../lib/db/index.ts";
import { t } from "../i18n.ts";

/** The dashboard's RFM section: customers per segment as the last refresh left them. */
export interface RfmDashboard {
  /** When the scores were taken; null before the first refresh. */
  computedAt: Date | null;
  total: number;
  rows: Array<{ segment: string; label: string; count: number; share: string }>;
}

/** Customers per RFM segment (every segment, best first), with shares in the staff member's language. */
export async function rfmDashboard(db: Db, locale: Locale): Promise<RfmDashboard> {
  const { segments, buyers, lapsed } = await rfmDistribution(db);
  const latest = await db.customerRfm.aggregate({ _max: { computedAt: true } });
  const total = buyers + lapsed;
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  return {
    computedAt: latest._max.computedAt,
    total,
    rows: RFM_SEGMENTS.map((segment) => ({
      segment,
      label: t(locale, `rfm.segment.${segment}`),
      count: segments[segment],
      share: percent.format(total === 0 ? 0 : segments[segment] / total),
    })),
  };
}
