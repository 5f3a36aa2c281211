import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { type LiveHub, storedEvent } from "../live.ts";

/**
 * What the console does when a customer's message is stored (the responder's `onStored`): a snoozed
 * conversation wakes up (the customer wrote again, so it belongs in the open list), then every open inbox and
 * conversation page hears of the message. Runs in the background; a failure is logged.
 */
export function onInboundStored(deps: {
  db: Db;
  live: LiveHub;
  log: Logger;
}): (stored: { interactionId: string; conversationId: string | null }) => void {
  return (stored) => {
    const event = storedEvent(stored);
    if (!event) return;
    deps.db.conversation
      .updateMany({
        where: { id: event.conversationId, snoozedUntil: { not: null } },
        data: { snoozedUntil: null },
      })
      .catch((error: unknown) =>
        deps.log.warn({ err: error, conversationId: event.conversationId }, "snooze not cleared"),
      )
      .finally(() => deps.live.publish(event));
  };
}
