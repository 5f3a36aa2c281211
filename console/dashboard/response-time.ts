import { type Db, Prisma } from "../../lib/db/index.ts";
import { utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** How fast staff first answered the conversations opened in the window. */
export interface ResponseTimes {
  /** Conversations opened in the window. */
  opened: number;
  /** Of those, how many a staff member has answered. */
  answered: number;
  /** Seconds from opening to the first staff reply: the median and the 90th percentile; null without any. */
  medianSeconds: number | null;
  p90Seconds: number | null;
}

/**
 * First-response times of the conversations opened in the window: from `Conversation.createdAt` to
 * `firstReplyAt`, which the console sets when a staff member first replies (console/inbox; the bot's answers
 * do not count), as `percentile_cont` median and p90 in SQL. One pass over the window's conversations, no
 * message is read.
 */
export async function responseTimes(db: Db, window: DashboardWindow): Promise<ResponseTimes> {
  const [row] = await db.$queryRaw<ResponseTimes[]>(Prisma.sql`
    SELECT count(*)::int AS opened, count(wait)::int AS answered,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS "medianSeconds",
      percentile_cont(0.9) WITHIN GROUP (ORDER BY wait) AS "p90Seconds"
    FROM (
      -- greatest() skips NULLs, so an unanswered conversation must stay NULL on its own
      SELECT CASE WHEN c."firstReplyAt" IS NOT NULL
        THEN greatest(0, extract(epoch FROM c."firstReplyAt" - c."createdAt"))::float8 END AS wait
      FROM "Conversation" c
      WHERE c."createdAt" >= ${utc(window.from)} AND c."createdAt" < ${utc(window.to)}
    ) opened`);
  return {
    opened: row?.opened ?? 0,
    answered: row?.answered ?? 0,
    medianSeconds: row?.medianSeconds ?? null,
    p90Seconds: row?.p90Seconds ?? null,
  };
}
