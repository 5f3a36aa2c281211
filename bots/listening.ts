import { type Db, Prisma } from "../lib/db/index.ts";
import type { InboundMessage } from "./inbound.ts";

/**
 * Keeps the listening desk's row of a public post (`ListeningHit`, keyed by its Interaction), status "new".
 * Idempotent: the same post captured again (a redelivery, or found by both the mentions and the search stream)
 * keeps its row, status and assignee, and only gains keywords it did not have. Runs after the Interaction is
 * stored, also for a duplicate, so a crash between the two is mended by the next delivery of the post.
 * Returns whether the row is new or gained keywords (the desk's live update).
 */
export async function recordListeningHit(
  db: Db,
  interactionId: string,
  message: Pick<InboundMessage, "channel" | "sentAt" | "listening">,
): Promise<boolean> {
  if (!message.listening) return false;
  const keywords = [...new Set(message.listening.keywords)];
  const changed = await db.$executeRaw(Prisma.sql`
    INSERT INTO "ListeningHit" ("interactionId", channel, keywords, "sentAt")
    VALUES (${interactionId}::uuid, ${message.channel}::"Channel", ${keywords}::text[], ${message.sentAt})
    ON CONFLICT ("interactionId") DO UPDATE
      SET keywords = ARRAY(
            SELECT k FROM unnest(COALESCE("ListeningHit".keywords, '{}') || EXCLUDED.keywords)
              WITH ORDINALITY AS u(k, n)
            GROUP BY k ORDER BY min(n)),
          "updatedAt" = now()
      WHERE NOT (COALESCE("ListeningHit".keywords, '{}') @> EXCLUDED.keywords)`);
  return changed > 0;
}
