import type { Clock } from "../../lib/clock.ts";

/** Typing pings pass at most once per this many ms per staff member and conversation. */
export const TYPING_EVERY_MS = 3_000;

/** Pairs remembered at most; the oldest go first. */
const REMEMBERED = 10_000;

/**
 * A throttle for typing pings: true when one from this staff member in this conversation may go out now.
 * The page throttles too; this keeps a misbehaving tab from flooding every other console.
 */
export function createTypingThrottle(
  clock: Clock,
  everyMs = TYPING_EVERY_MS,
): (staffUserId: string, conversationId: string) => boolean {
  const last = new Map<string, number>();
  return (staffUserId, conversationId) => {
    const key = `${staffUserId}/${conversationId}`;
    const now = clock.now();
    const before = last.get(key);
    if (before !== undefined && now - before < everyMs) return false;
    last.delete(key);
    last.set(key, now);
    if (last.size > REMEMBERED) last.delete(last.keys().next().value!);
    return true;
  };
}
