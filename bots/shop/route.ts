import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { bodyIssues, jsonOnly, sendInvalidBody } from "../../lib/http.ts";
import { describeRoute } from "../../lib/openapi.ts";
import { verifyBodySignature } from "../../lib/signature.ts";
import { type DoubleOptInDeps, requestDoubleOptIn } from "../double-opt-in.ts";
import {
  captureEvent,
  doubleOptInRequested,
  type EventCaptureResult,
  GenericEvent,
  PurchaseEvent,
  parseInboundEvent,
} from "../events.ts";

/** Dependencies of the events API. */
export interface EventsApiOptions {
  db: Db;
  /** HMAC key of `X-Rapport-Signature`. */
  secret: string;
  clock: Clock;
  /** Called for every accepted event, new or repeated (enqueueing is idempotent), before the response. */
  onEvent: (result: EventCaptureResult) => Promise<void>;
  /**
   * What `customer.consent.email.status: "requested"` needs to email the customer a double opt-in link.
   * Without it such a request is stored with the event but no link goes out (`doubleOptIn: "off"`).
   */
  doubleOptIn?: DoubleOptInDeps;
}

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = "x-rapport-signature";

/** The answer to an accepted event (documentation: the handler builds it below). */
const EventAccepted = z.object({
  id: z.string(),
  customerId: z.string(),
  duplicate: z.boolean(),
  doubleOptIn: z.enum(["sent", "rate_limited", "off"]).optional(),
});

/** What the OpenAPI document says of `POST /api/events`; the body schemas are the ones parseInboundEvent uses. */
const EVENTS_DOC = describeRoute({
  summary: "Send a purchase or another customer event",
  description:
    "A purchase (`type: purchase`, idempotent by `orderId`) or any other event type (`refund`, `rating`, " +
    "`page_view`, your own; idempotent by `id`). The customer is named by `externalId`, `email` or `phone` " +
    "(E.164), at least one. Amounts carry no more decimals than the currency has. Stored whole or not at all.",
  tags: ["Events"],
  auth: { signature: "rapportSignature" },
  body: { PurchaseEvent, GenericEvent },
  chosenBy: { property: "type", value: "purchase" },
  responses: {
    200: { description: "Already stored (same orderId or id): nothing changes", body: { EventAccepted } },
    201: { description: "Stored; campaigns it triggers are planned", body: { EventAccepted } },
    400: "The body breaks a rule: `issues[].path` names the field; nothing stored",
    401: "Wrong or missing X-Rapport-Signature; nothing stored",
    415: "The Content-Type is not application/json; nothing stored",
  },
});

/**
 * `POST /api/events`: purchases and other customer events from a shop or any backend. The raw body must
 * be signed; a bad signature gets 401 and a malformed body 400 naming the field, and neither stores
 * anything. The same order id twice stores one event (200 with `duplicate: true`).
 */
export async function registerEventsApi(app: FastifyInstance, options: EventsApiOptions): Promise<void> {
  app.post("/api/events", { onRequest: jsonOnly, config: EVENTS_DOC }, async (request, reply) => {
    const signature = request.headers[SIGNATURE_HEADER];
    if (!request.rawBody || !verifyBodySignature(options.secret, request.rawBody, String(signature ?? ""))) {
      request.log.warn({ hasSignature: Boolean(signature) }, "event rejected: bad signature");
      return reply.status(401).send({
        error: "invalid_signature",
        message:
          "X-Rapport-Signature must be sha256=<hex HMAC-SHA256 of the raw body, keyed with RAPPORT_WEBHOOK_SECRET>",
      });
    }
    const parsed = parseInboundEvent(request.body);
    if (!parsed.success) {
      const issues = bodyIssues(parsed.error);
      request.log.warn(
        { issues, body: request.rawBody.toString("utf8").slice(0, 4_096) },
        "event rejected: malformed",
      );
      return sendInvalidBody(reply, issues);
    }
    const result = await captureEvent(options.db, parsed.data, new Date(options.clock.now()));
    await options.onEvent(result);
    // a repeated event sends no second link
    // (a request for one always names the email: the schema refuses it otherwise)
    const optInTo = doubleOptInRequested(parsed.data) ? parsed.data.customer.email : undefined;
    const doubleOptIn =
      optInTo !== undefined && result.kind === "stored"
        ? options.doubleOptIn
          ? (
              await requestDoubleOptIn(options.doubleOptIn, result.customerId, optInTo, {
                starter: "events_api",
              })
            ).kind
          : "off"
        : undefined;
    return reply.status(result.kind === "stored" ? 201 : 200).send({
      id: result.eventId,
      customerId: result.customerId,
      duplicate: result.kind === "duplicate",
      ...(doubleOptIn && { doubleOptIn }),
    });
  });
}
