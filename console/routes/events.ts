import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply } from "fastify";
import { hearsLive } from "../calls.ts";
import type { LiveEvent, LiveHub } from "../live.ts";

/** A comment line every this many ms keeps proxies from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;

/**
 * Answers with a Server-Sent Events stream: its headers (no proxy buffering), a 3 s reconnect hint and a
 * heartbeat comment every `heartbeatMs`; `onClose` runs when the client goes. Write events to what it returns.
 */
export function openEventStream(
  reply: FastifyReply,
  heartbeatMs: number,
  onClose: () => void,
): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store, no-transform",
    connection: "keep-alive",
    // nginx would otherwise buffer the stream and deliver events late
    "x-accel-buffering": "no",
    "x-content-type-options": "nosniff",
  });
  res.flushHeaders();
  res.write("retry: 3000\n\n");
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
  heartbeat.unref();
  res.on("close", () => {
    clearInterval(heartbeat);
    onClose();
  });
  return res;
}

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
  const open = new Set<ServerResponse>();
  scope.get("/events", async (request, reply) => {
    const staff = request.staff!;
    let unsubscribe = () => {};
    const res = openEventStream(reply, options.heartbeatMs ?? HEARTBEAT_MS, () => {
      unsubscribe();
      open.delete(res);
    });
    open.add(res);
    unsubscribe = live.subscribe((event: LiveEvent) => {
      // a call pops only in its agent's console (or every agent's)
      if (!hearsLive(staff, event)) return;
      res.write(`event: live\ndata: ${JSON.stringify(event)}\n\n`);
    });
  });

  // streams never end on their own: without this, closing the server would wait for every open tab
  scope.addHook("preClose", async () => {
    for (const res of open) res.end();
  });
}
