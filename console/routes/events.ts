import type { FastifyInstance } from "fastify";
import { eventStreams } from "../../lib/sse.ts";
import { hearsLive } from "../calls.ts";
import type { LiveEvent, LiveHub } from "../live.ts";

/**
 * `GET /console/events`: a Server-Sent Events stream of what changes in conversations (`event: live`, data a
 * {@link LiveEvent}), for signed-in staff (the console's gate answers 401 otherwise), with a heartbeat comment.
 * The inbox and conversation pages fetch what changed as HTML fragments. Nothing is replayed on reconnect:
 * a page that lost its stream is at most a few seconds stale, and reloading it is always right.
 */
export function registerLiveEvents(
  scope: FastifyInstance,
  live: LiveHub,
  options: { heartbeatMs?: number } = {},
): void {
  const streams = eventStreams(scope, options);
  scope.get("/events", async (request, reply) => {
    const staff = request.staff!;
    let unsubscribe = () => {};
    const stream = streams.open(reply, () => unsubscribe());
    unsubscribe = live.subscribe((event: LiveEvent) => {
      // a call pops only in its agent's console (or every agent's)
      if (hearsLive(staff, event)) stream.send("live", event);
    });
  });
}
