import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { requestDoubleOptIn } from "../double-opt-in.ts";
import type { InboundMessage } from "../inbound.ts";
import { requestEmailVerification, verifyEmailCode } from "../verification.ts";
import { DEFAULT_WEBCHAT_LIMITS, type WebchatOptions } from "./options.ts";
import {
  IdentifyBody,
  MessageBody,
  SessionBody,
  SubscribeBody,
  sendInvalid,
  VerifyBody,
  VisitorQuery,
} from "./schemas.ts";
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

/**
 * The web chat's JSON API: session, messages, history, identify (an email claimed, a code sent there) and
 * verify (the code typed back proves the email and joins the visitor to its customer).
 */
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
    const { visitorId, token, locale, timezone, page, referrer } = parsed.data;
    if (visitorId && token) {
      if (!verifyVisitorToken(options.secret, visitorId, token)) {
        return reply.status(401).send({ error: "invalid_token", message: "token does not match visitorId" });
      }
      // an erased visitor is not brought back: the browser gets a new one, as on a first visit
      if (await visitorCustomer(options.db, visitorId)) return { visitorId, token, resumed: true };
    }
    const visit = { ...(page && { landingPage: page }), ...(referrer && { referrer }) };
    const created = await createVisitor(options.db, locale, timezone, visit);
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
    return { messages: await visitorHistory(options.db, customerId, parsed.data.visitorId) };
  });

  const verification = {
    db: options.db,
    clock: options.clock,
    sendReply: options.sendReply,
    brandName: options.brandName,
  };

  // the email is a claim until the code sent there comes back: the answer never says whose address it is
  app.post("/webchat/api/identify", perMinute(limits.verifyPerMinute, byVisitor), async (request, reply) => {
    const parsed = IdentifyBody.safeParse(request.body);
    if (!parsed.success) return sendInvalid(reply, parsed.error, "body");
    const { visitorId, token, email } = parsed.data;
    const customerId = await admitVisitor(options, reply, visitorId, token);
    if (!customerId) return reply;
    const result = await requestEmailVerification(verification, customerId, email, "webchat_identify");
    if (result.kind === "rate_limited") {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      return reply
        .status(429)
        .header("retry-after", String(seconds))
        .send({ error: "rate_limited", message: `too many codes asked for: try again in ${seconds} s` });
    }
    log.info({ visitorId }, "web chat email claimed, code sent");
    return { verification: "sent" };
  });

  // "Get offers by email": the typed address is a claim; the confirm link goes there and nothing merges until
  // it is confirmed. The answer is the same whether anyone has that address or not.
  const linkSecret = options.linkSecret;
  if (linkSecret) {
    const doubleOptIn = { ...verification, secret: linkSecret, publicUrl: options.publicUrl };
    app.post(
      "/webchat/api/subscribe",
      perMinute(limits.verifyPerMinute, byVisitor),
      async (request, reply) => {
        const parsed = SubscribeBody.safeParse(request.body);
        if (!parsed.success) return sendInvalid(reply, parsed.error, "body");
        const { visitorId, token, email } = parsed.data;
        const customerId = await admitVisitor(options, reply, visitorId, token);
        if (!customerId) return reply;
        const result = await requestDoubleOptIn(doubleOptIn, customerId, email, {
          starter: "webchat",
          claimSource: "webchat_subscribe",
        });
        if (result.kind === "rate_limited") {
          const seconds = Math.ceil(result.retryAfterMs / 1000);
          return reply
            .status(429)
            .header("retry-after", String(seconds))
            .send({ error: "rate_limited", message: `too many links asked for: try again in ${seconds} s` });
        }
        log.info({ visitorId }, "web chat email offers asked for, confirm link sent");
        return { subscription: "sent" };
      },
    );
  }

  app.post("/webchat/api/verify", perMinute(limits.verifyPerMinute, byVisitor), async (request, reply) => {
    const parsed = VerifyBody.safeParse(request.body);
    if (!parsed.success) return sendInvalid(reply, parsed.error, "body");
    const { visitorId, token, code } = parsed.data;
    const customerId = await admitVisitor(options, reply, visitorId, token);
    if (!customerId) return reply;
    const result = await verifyEmailCode(options.db, customerId, code, new Date(options.clock.now()));
    log.info({ visitorId, result: result.kind }, "web chat email code entered");
    switch (result.kind) {
      case "verified":
        options.onIdentified?.(result.customerId);
        return { verified: true, email: result.email };
      case "wrong":
        return reply.status(422).send({
          error: "wrong_code",
          message: `code does not match: ${result.attemptsLeft} attempt(s) left`,
          issues: [{ path: "code", message: "does not match the code in the email" }],
          attemptsLeft: result.attemptsLeft,
        });
      default:
        return reply.status(410).send({
          error: `code_${result.kind}`,
          message: "no valid code to check (expired, used up or never sent): ask for a new one with identify",
        });
    }
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
