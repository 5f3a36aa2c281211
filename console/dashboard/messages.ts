import { CHANNEL_NAMES, type ChannelName } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { localDate, utc } from "./sql.ts";
import type { DashboardWindow } from "./window.ts";

/** Messages of one local day: inbound and outbound per channel, and in total. */
export interface MessagesDay {
  day: string;
  inbound: number;
  outbound: number;
  byChannel: Record<ChannelName, { inbound: number; outbound: number }>;
}

/**
 * Messages per channel per day in the window, inbound (customers) and outbound (bot, staff, campaigns),
 * internal notes left out. One grouped query over the window's interactions; every day is present, zeros
 * included.
 */
export async function messagesPerDay(db: Db, window: DashboardWindow): Promise<MessagesDay[]> {
  const rows = await db.$queryRaw<
    Array<{ day: string; channel: ChannelName; direction: string; count: number }>
  >(
    Prisma.sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, channel::text AS channel, direction::text AS direction, count
      FROM (
        SELECT ${localDate(Prisma.sql`i."sentAt"`, window.offsets)} AS day, i.channel, i.direction, count(*)::int AS count
        FROM "Interaction" i
        WHERE i."sentAt" >= ${utc(window.from)} AND i."sentAt" < ${utc(window.to)} AND NOT i.internal
        GROUP BY 1, 2, 3
      ) per_day`,
  );
  const days = new Map<string, MessagesDay>(
    window.days.map((day) => [
      day,
      {
        day,
        inbound: 0,
        outbound: 0,
        byChannel: Object.fromEntries(
          CHANNEL_NAMES.map((c) => [c, { inbound: 0, outbound: 0 }]),
        ) as MessagesDay["byChannel"],
      },
    ]),
  );
  for (const row of rows) {
    const day = days.get(row.day);
    if (!day) continue;
    const direction = row.direction === "inbound" ? "inbound" : "outbound";
    day[direction] += row.count;
    day.byChannel[row.channel][direction] += row.count;
  }
  return [...days.values()];
}
