import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { readJsonBody, refuseUnlessJson } from "../../lib/http.ts";
import type { Logger } from "../../lib/logger.ts";
import { describeRoute } from "../../lib/openapi.ts";
import { type InboundRetries, recordInboundFailure } from "../inbound-failures.ts";
import { inboundEmailExternalId } from "./inbound.ts";
import { type ReceiveEmailDeps, type ReceiveOutcome, receiveEmail } from "./receive.ts";
import { ReceivedEmailEventData } from "./received.ts";
import { applyResendEvent, parseResendWebhook, ResendWebhookEnvelope } from "./resend-events.ts";
import { verifySvix } from "./svix.ts";

/** Where Resend posts events: register `${PUBLIC_URL}/webhooks/resend` in Resend's dashboard. */
export const RESEND_WEBHOOK_PATH = "/webhooks/resend";

/** Dependencies of {@link registerResendWebhook}. */
export interface ResendWebhookOptions {
  db: Db;
  /** RESEND_WEBHOOK_SECRET, the webhook's signing secret (`whsec_…`). Unset: the route answers 503 saying so. */
  secret?: string;
  /** Judges the `svix-timestamp` (at most 5 minutes off) and dates events that carry no time. */
  clock: Clock;
  log: Logger;
  /**
   * Inbound email (`email.received`): how to fetch a received email's body (needs RESEND_API_KEY), the
   * conversation core to hand it to, and Rapport's own addresses. Unset: `email.received` answers 503 saying
   * so, and Resend retries it later.
   */
  inbound?: Omit<ReceiveEmailDeps, "db">;
  /** Where inbound email registers how its dead letters (`InboundFailure`, channel "email") are retried. */
  retries?: InboundRetries;
}

const WEBHOOK_DOC = describeRoute({
  summary: "Resend email events and received emails",
  description:
    "Delivery events (`email.sent|delivered|opened|clicked|bounced|complained`) update the Delivery and " +
    "suppress bounced or complaining addresses; `email.received` hands a customer's email to the conversation " +
    "core. Other event types and emails Rapport did not send are answered 200. The body is read raw and " +
    "parsed only after the signature verifies.",
  tags: ["Platform webhooks"],
  auth: { signature: "svixSignature" },
  headers: {
    "svix-id": { description: "The message id (signed)", required: true },
    "svix-timestamp": {
      description: "Unix seconds, within 5 minutes of the server's clock (signed)",
      required: true,
    },
  },
  body: { ResendWebhookEnvelope },
  responses: {
    200: "Applied, or acknowledged and ignored",
    400: "The body is not a Resend event: `path` names the field",
    401: "svix-signature or svix-timestamp does not verify; nothing stored",
    415: "The Content-Type is not application/json",
    502: "A received email could not be read from Resend: Resend retries",
    503: "RESEND_WEBHOOK_SECRET is unset, or inbound email is off (no RESEND_API_KEY)",
  },
});

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * `POST /webhooks/resend`: Resend's delivery events, signed by Svix. A call whose signature or timestamp does not
 * verify gets 401 and stores nothing; a body that does not fit gets 400 naming the field; events for emails
 * Rapport did not send, and event types it does not use, get 200 so Resend stops retrying them. Redeliveries
 * are harmless: every effect is recorded once. `email.received` hands a customer's email to the conversation
 * core; when its body cannot be fetched from Resend the answer is 502 (503 when inbound email is not set up)
 * and nothing is stored, so Resend's retry brings it in later.
 */
export async function registerResendWebhook(
  http: FastifyInstance,
  options: ResendWebhookOptions,
): Promise<void> {
  const log = options.log.child({ component: "resend-webhook" });
  const inbound = options.inbound;
  if (inbound) {
    options.retries?.register("email", async (payload) => {
      const data = ReceivedEmailEventData.parse(JSON.parse(payload));
      const outcome = await receiveEmail({ ...inbound, db: options.db }, data, new Date(options.clock.now()));
      if (outcome.kind === "unavailable") throw new Error(unavailableMessage(data, outcome));
    });
  }
  await http.register(async (scope) => {
    // the signature covers the exact bytes: take them raw, whatever the content type, and parse after verifying
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.post(RESEND_WEBHOOK_PATH, { config: WEBHOOK_DOC }, (request, reply) =>
      handle(options, log, request, reply),
    );
  });
}

async function handle(
  options: ResendWebhookOptions,
  log: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (!options.secret) {
    return reply.status(503).send({
      error: "not_configured",
      message:
        "Resend webhooks are off: set RESEND_WEBHOOK_SECRET to the signing secret (whsec_…) shown on the webhook in Resend's dashboard",
    });
  }
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const svixId = first(request.headers["svix-id"]);
  const verdict = verifySvix(
    options.secret,
    {
      id: svixId,
      timestamp: first(request.headers["svix-timestamp"]),
      signature: first(request.headers["svix-signature"]),
    },
    raw,
    options.clock.now(),
  );
  if (!verdict.ok) {
    log.warn({ svixId, reason: verdict.reason }, "Resend webhook rejected");
    return reply.status(401).send({
      error: "invalid_signature",
      message:
        verdict.reason === "stale_timestamp"
          ? "svix-timestamp is more than 5 minutes from this server's clock: check the server's time"
          : "svix-signature does not match: check that RESEND_WEBHOOK_SECRET is this webhook's signing secret",
    });
  }
  // a correctly signed body labelled as something else than JSON: say so (415), not "invalid signature"
  const notJson = refuseUnlessJson(request, reply);
  if (notJson) return notJson;
  const read = readJsonBody(raw);
  if (!read.ok) {
    log.warn({ svixId, body: raw.toString("utf8").slice(0, 4_096) }, "Resend webhook is not JSON");
    return reply.status(400).send({ error: "invalid_body", message: read.message, issues: read.issues });
  }
  const body = read.value;
  const receivedAt = new Date(options.clock.now());
  const parsed = parseResendWebhook(body, receivedAt);
  if (parsed.kind === "invalid") {
    log.warn(
      { svixId, path: parsed.path, body: raw.toString("utf8").slice(0, 4_096) },
      "Resend webhook not understood",
    );
    return reply.status(400).send({ error: "invalid_body", path: parsed.path, message: parsed.message });
  }
  if (parsed.kind === "received") return received(options, log.child({ svixId }), parsed.data, reply);
  if (parsed.kind === "ignored") {
    log.debug({ svixId, type: parsed.type }, "Resend event ignored");
    return reply.status(200).send({ ok: true, outcome: "ignored" });
  }
  const { event } = parsed;
  const outcome = await applyResendEvent(options.db, event);
  const fields = { svixId, type: event.type, emailId: event.data.email_id };
  if (outcome.kind === "unknown_email") log.info(fields, "Resend event for an email Rapport did not send");
  else if (outcome.kind === "suppressed_by_address")
    log.info({ ...fields, changed: outcome.changed }, "Resend event for an unknown email applied by address");
  else
    log.debug({ ...fields, deliveryId: outcome.deliveryId, outcome: outcome.kind }, "Resend event applied");
  return reply.status(200).send({ ok: true, outcome: outcome.kind });
}

async function received(
  options: ResendWebhookOptions,
  log: Logger,
  data: ReceivedEmailEventData,
  reply: FastifyReply,
) {
  const fields = { emailId: data.email_id, messageId: data.message_id };
  if (!options.inbound) {
    log.warn(fields, "inbound email not set up: Resend will retry");
    return reply.status(503).send({
      error: "not_configured",
      message: "inbound email is off: set RESEND_API_KEY so Rapport can read received emails from Resend",
    });
  }
  let outcome: ReceiveOutcome;
  try {
    outcome = await receiveEmail({ ...options.inbound, db: options.db }, data, new Date(options.clock.now()));
  } catch (error) {
    // kept, so this email never blocks and a fix can take it in from the console; 503 only if even that fails
    log.error({ ...fields, err: error }, "received email not stored");
    try {
      const kept = await recordInboundFailure(
        options.db,
        { channel: "email", sourceKey: inboundEmailExternalId(data), payload: data, error },
        new Date(options.clock.now()),
      );
      return reply
        .status(200)
        .send({ ok: false, kept: kept.id, message: "email not stored: kept for retry" });
    } catch (keepError) {
      log.error({ ...fields, err: keepError }, "received email not kept either: Resend will retry");
      return reply.status(503).send({ error: "unavailable", message: "the email could not be stored" });
    }
  }
  if (outcome.kind === "unavailable") {
    log.warn({ ...fields, status: outcome.status, reason: outcome.message }, "received email not fetched");
    return reply
      .status(502)
      .send({ error: "resend_unavailable", message: unavailableMessage(data, outcome) });
  }
  if (outcome.kind === "ignored") log.info({ ...fields, reason: outcome.reason }, "received email ignored");
  else log.debug({ ...fields, outcome: outcome.kind }, "received email taken in");
  return reply.status(200).send({ ok: true, outcome: outcome.kind });
}

function unavailableMessage(
  data: ReceivedEmailEventData,
  outcome: { status: number; message: string },
): string {
  return `could not read received email ${data.email_id} from Resend (${outcome.status || "unreachable"}): ${outcome.message}`;
}
