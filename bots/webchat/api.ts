import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { InboundMessage } from "../inbound.ts";
import { DEFAULT_WEBCHAT_LIMITS, type WebchatOptions } from "./options.ts";
import { IdentifyBody, MessageBody, SessionBody, sendInvalid, VisitorQuery } from "./schemas.ts";
import { verifyVisitorToken, visitorToken } from "./token.ts";
import { createVisitor, visitorCustomer, visitorHistory } from "./visitors.ts";

/**
 * Checks a visitor's token (401) and that the visitor exists (404), answering for the caller when not.
 * @returns the customer behind the visitor, or undefined when a reply was sent.
 */
export async function admitVisitor(
  options: WebchatOptions,
  reply: FastifyReply,
  visitorId: string,
  token: string,
): Promise<string | undefined> {
  if (!verifyVisitorToken(options.secret, visitorId, token)) {
    void reply.status(401).send({
      error: "invalid_token",
      message: "token does not match visitorId: use the pair from POST /webchat/api/session",
    });
    return undefined;
  }
  const customerId = await visitorCustomer(options.db, visitorId);
  if (!customerId) {
    void reply.status(404).send({
      error: "unknown_visitor",
      message: `no web chat visitor ${visitorId}: start a new one with POST /webchat/api/session`,
    });
  }
  return customerId;
}

/** The web chat's JSON API: session, messages, history and identify. */
export function registerWebchatApi(app: FastifyInstance, options: WebchatOptions): void {
  const log = options.log.child({ component: "webchat" });

  const limits = { ...DEFAULT_WEBCHAT_LIMITS, ...options.limits };
  const perMinute = (max: number, key?: (request: FastifyRequest) => string) => ({
    config: {
      rateLimit: {
        max,
        timeWindow: 60_000,
        // counted once the body is parsed, so a visitor's messages count against the visitor, not their café's IP
        ...(key && { hook: "preHandler" as const, keyGenerator: key }),
      },
    },
  });

  app.post("/webchat/api/session", perMinute(limits.sessionsPerMinute), async (request, reply) => {
    const parsed = SessionBody.safeParse(request.body ?? {});
    if (!parsed.success) return sendInvalid(reply, parsed.error, "body");
    const { visitorId, token, locale, timezone } = parsed.data;
    if (visitorId && token) {
      if (!verifyVisitorToken(options.secret, visitorId, token)) {
        return reply.status(401).send({ error: "invalid_token", message: "token does not match visitorId" });
      }
      // an erased visitor is not brought back: the browser gets a new one, as on a first visit
      if (await visitorCustomer(options.db, visitorId)) return { visitorId, token, resumed: true };
    }
    const created = await createVisitor(options.db, locale, timezone);
    log.debug({ visitorId: created }, "web chat visitor created");
    return reply.status(201).send({
      visitorId: created,
      token: visitorToken(options.secret, created),
      resumed: false,
    });
  });

  const byVisitor = (request: FastifyRequest) => {
    const visitorId = (request.body as { visitorId?: unknown } | undefined)?.visitorId;
    return typeof visitorId === "string" ? `visitor:${visitorId}` : `ip:${request.ip}`;
  };
  app.post(
    "/webchat/api/messages",
    perMinute(limits.messagesPerMinute, byVisitor),
    async (request, reply) => {
      const parsed = MessageBody.safeParse(request.body);
      if (!parsed.success) return sendInvalid(reply, parsed.error, "body");
      const body = parsed.data;
      if (!(await admitVisitor(options, reply, body.visitorId, body.token))) return reply;
      const message = toInboundMessage(body, new Date(options.clock.now()));
      await options.onMessage(message);
      return { id: body.clientMessageId, at: message.sentAt.toISOString() };
    },
  );

  app.get("/webchat/api/history", async (request, reply) => {
    const parsed = VisitorQuery.safeParse(request.query);
    if (!parsed.success) return sendInvalid(reply, parsed.error, "query");
    const customerId = await admitVisitor(options, reply, parsed.data.visitorId, parsed.data.token);
    if (!customerId) return reply;
    return { messages: await visitorHistory(options.db, customerId) };
  });

  app.post("/webchat/api/identify", async (request, reply) => {
    const parsed = IdentifyBody.safeParse(request.body);
    if (!parsed.success) return sendInvalid(reply, parsed.error, "body");
    const { visitorId, token, email } = parsed.data;
    if (!(await admitVisitor(options, reply, visitorId, token))) return reply;
    await options.onIdentify(visitorId, email);
    return { ok: true };
  });
}

/**
 * A visitor's message as every adapter hands it to the core. The server's clock stamps it (a browser's
 * clock cannot be trusted to order a conversation), and the clientMessageId makes a retried POST one message.
 */
export function toInboundMessage(body: MessageBody, sentAt: Date): InboundMessage {
  return {
    channel: "webchat",
    externalId: `${body.visitorId}:${body.clientMessageId}`,
    sender: { externalId: body.visitorId, ...(body.locale ? { locale: body.locale } : {}) },
    threadRef: body.visitorId,
    text: body.text,
    sentAt,
  };
}
