import { type Db, Prisma } from "../../lib/db/index.ts";
import { utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** Customer satisfaction in the window: ratings 1–5. */
export interface Csat {
  /** How many ratings scored 1, 2, 3, 4 and 5. */
  distribution: Array<{ score: number; count: number }>;
  total: number;
  /** Mean score; null without ratings. */
  average: number | null;
  /** Share (0–1) of ratings of 4 or 5; null without ratings. */
  satisfied: number | null;
}

/**
 * CSAT from `rating` events (every rating the bots record) and answered CSAT surveys that have no rating
 * event (answered elsewhere), in the window. Scores outside 1–5 are left out.
 */
export async function csat(db: Db, window: DashboardWindow): Promise<Csat> {
  const from = utc(window.from);
  const to = utc(window.to);
  const rows = await db.$queryRaw<Array<{ score: number; count: number }>>(Prisma.sql`
    WITH scores AS (
      SELECT round(e.value)::int AS score FROM "Event" e
      WHERE e.type = 'rating' AND e."occurredAt" >= ${from} AND e."occurredAt" < ${to} AND e.value IS NOT NULL
      UNION ALL
      SELECT a.score FROM "SurveyAnswer" a JOIN "Survey" s ON s.id = a."surveyId"
      WHERE s.kind = 'csat' AND a.score IS NOT NULL
        AND COALESCE(s."answeredAt", a."createdAt") >= ${from} AND COALESCE(s."answeredAt", a."createdAt") < ${to}
        AND NOT EXISTS (
          SELECT 1 FROM "Event" e WHERE e."customerId" = a."customerId" AND e.type = 'rating'
            AND e.properties->>'surveyId' = s.id::text)
    )
    SELECT score, count(*)::int AS count FROM scores WHERE score BETWEEN 1 AND 5 GROUP BY score`);
  const distribution = [1, 2, 3, 4, 5].map((score) => ({
    score,
    count: rows.find((r) => r.score === score)?.count ?? 0,
  }));
  const total = distribution.reduce((sum, d) => sum + d.count, 0);
  const points = distribution.reduce((sum, d) => sum + d.score * d.count, 0);
  const happy = distribution.filter((d) => d.score >= 4).reduce((sum, d) => sum + d.count, 0);
  return {
    distribution,
    total,
    average: total ? points / total : null,
    satisfied: total ? happy / total : null,
  };
}
