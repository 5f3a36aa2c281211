import type { ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import { admitVisitor } from "./api.ts";
import type { WebchatEvent, WebchatHub } from "./hub.ts";
import type { WebchatOptions } from "./options.ts";
import { sendInvalid, VisitorQuery } from "./schemas.ts";

/**
 * `GET /webchat/api/events?visitorId&token`: a Server-Sent Events stream of the visitor's outbound
 * messages (`event: message`, `id: <message id>`, `data: {"id","text","at"}`), a heartbeat comment every
 * `heartbeatMs`, and what was missed after `Last-Event-ID` when the browser reconnects.
 */
export function registerWebchatStream(app: FastifyInstance, options: WebchatOptions, hub: WebchatHub): void {
  const open = new Set<ServerResponse>();
  const heartbeatMs = options.heartbeatMs ?? 20_000;

  app.get("/webchat/api/events", async (request, reply) => {
    const parsed = VisitorQuery.safeParse(request.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error, "query");
    const { visitorId, token } = parsed.data;
    if (!(await admitVisitor(options, reply, visitorId, token))) return reply;
    const header = request.headers["last-event-id"];
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? parsed.data.lastEventId;

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // nginx would otherwise buffer the stream and deliver messages late
      "x-accel-buffering": "no",
      "access-control-allow-origin": "*",
    });
    res.flushHeaders();
    open.add(res);
    const write = (event: WebchatEvent) => {
      res.write(`id: ${event.id}\nevent: message\ndata: ${JSON.stringify(event)}\n\n`);
    };
    const subscription = hub.subscribe(visitorId, write, lastEventId);
    res.write("retry: 3000\n\n");
    for (const event of subscription.missed) write(event);
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
    heartbeat.unref();
    res.on("close", () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
      open.delete(res);
    });
  });

  // streams never end on their own: without this, app.close() would wait for every open tab
  app.addHook("preClose", async () => {
    for (const res of open) res.end();
  });
}
