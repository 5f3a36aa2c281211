import type { FastifyInstance } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { jsonOnly } from "../../lib/http.ts";
import { verifyBodySignature } from "../../lib/signature.ts";
import { type DoubleOptInDeps, requestDoubleOptIn } from "../double-opt-in.ts";
import { captureEvent, doubleOptInRequested, type EventCaptureResult, parseInboundEvent } from "../events.ts";

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

/**
 * `POST /api/events`: purchases and other customer events from a shop or any backend. The raw body must
 * be signed; a bad signature gets 401 and a malformed body 400 naming the field, and neither stores
 * anything. The same order id twice stores one event (200 with `duplicate: true`).
 */
export async function registerEventsApi(app: FastifyInstance, options: EventsApiOptions): Promise<void> {
  app.post("/api/events", { onRequest: jsonOnly }, async (request, reply) => {
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
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.join(".") || "(body)",
        message: i.message,
      }));
      request.log.warn(
        { issues, body: request.rawBody.toString("utf8").slice(0, 4_096) },
        "event rejected: malformed",
      );
      return reply.status(400).send({
        error: "invalid_body",
        message: issues.map((i) => `${i.path}: ${i.message}`).join("; "),
        issues,
      });
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
