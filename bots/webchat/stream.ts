import type { FastifyInstance } from "fastify";
import { eventStreams } from "../../lib/sse.ts";
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
  // the widget may be on the shop's own site: any origin reads the stream (the visitor's token is the key)
  const streams = eventStreams(app, {
    heartbeatMs: options.heartbeatMs ?? 20_000,
    headers: { "access-control-allow-origin": "*" },
  });

  app.get("/webchat/api/events", async (request, reply) => {
    const parsed = VisitorQuery.safeParse(request.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error, "query");
    const { visitorId, token } = parsed.data;
    if (!(await admitVisitor(options, reply, visitorId, token))) return reply;
    const header = request.headers["last-event-id"];
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? parsed.data.lastEventId;

    let unsubscribe = () => {};
    const stream = streams.open(reply, () => unsubscribe());
    const write = (event: WebchatEvent) => stream.send("message", event, event.id);
    const subscription = hub.subscribe(visitorId, write, lastEventId);
    unsubscribe = subscription.unsubscribe;
    for (const event of subscription.missed) write(event);
  });
}
