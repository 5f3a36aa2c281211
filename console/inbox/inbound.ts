import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { type LiveHub, storedEvent } from "../live.ts";

/**
 * What the console does when a customer's message is stored (the responder's `onStored`): a snoozed
 * conversation wakes up (the customer wrote again, so it belongs in the open list), then every open inbox and
 * conversation page hears of the message; a listening hit is told to the listening desk. Runs in the
 * background; a failure is logged.
 */
export function onInboundStored(deps: {
  db: Db;
  live: LiveHub;
  log: Logger;
}): (stored: { interactionId: string; conversationId: string | null; listening?: boolean }) => void {
  return (stored) => {
    // a new public post about the brand shows on every open listening desk
    if (stored.listening) deps.live.publish({ kind: "listening", interactionId: stored.interactionId });
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

/**
 * What the console does when a customer's name may have changed (a web chat visitor proved an email): their
 * conversations that are not closed are told as a status change, so every open inbox redraws their rows with
 * the new name. Runs in the background; a failure is logged.
 */
export function onCustomerRenamed(deps: {
  db: Db;
  live: LiveHub;
  log: Logger;
}): (customerId: string) => void {
  return (customerId) => {
    deps.db.conversation
      .findMany({ where: { customerId, status: { not: "closed" } }, select: { id: true } })
      .then((conversations) => {
        for (const { id } of conversations) {
          deps.live.publish({ kind: "status", conversationId: id, status: "renamed" });
        }
      })
      .catch((error: unknown) => deps.log.warn({ err: error, customerId }, "renamed customer not told"));
  };
}
