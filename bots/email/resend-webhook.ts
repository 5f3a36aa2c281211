import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { applyResendEvent, parseResendWebhook } from "./resend-events.ts";
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
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * `POST /webhooks/resend`: Resend's delivery events, signed by Svix. A call whose signature or timestamp does not
 * verify gets 401 and stores nothing; a body that does not fit gets 400 naming the field; events for emails
 * Rapport did not send, and event types it does not use, get 200 so Resend stops retrying them. Redeliveries
 * are harmless: every effect is recorded once.
 */
export async function registerResendWebhook(
  http: FastifyInstance,
  options: ResendWebhookOptions,
): Promise<void> {
  const log = options.log.child({ component: "resend-webhook" });
  await http.register(async (scope) => {
    // the signature covers the exact bytes: take them raw, whatever the content type, and parse after verifying
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.post(RESEND_WEBHOOK_PATH, (request, reply) => handle(options, log, request, reply));
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
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.warn({ svixId, body: raw.toString("utf8").slice(0, 4_096) }, "Resend webhook is not JSON");
    return reply.status(400).send({ error: "invalid_body", message: `malformed JSON body: ${reason}` });
  }
  const receivedAt = new Date(options.clock.now());
  const parsed = parseResendWebhook(body, receivedAt);
  if (parsed.kind === "invalid") {
    log.warn(
      { svixId, path: parsed.path, body: raw.toString("utf8").slice(0, 4_096) },
      "Resend webhook not understood",
    );
    return reply.status(400).send({ error: "invalid_body", path: parsed.path, message: parsed.message });
  }
  if (parsed.kind === "ignored") {
    log.debug({ svixId, type: parsed.type }, "Resend event ignored");
    return reply.status(200).send({ ok: true, outcome: "ignored" });
  }
  const { event } = parsed;
  const outcome = await applyResendEvent(options.db, event);
  const fields = { svixId, type: event.type, emailId: event.data.email_id };
  if (outcome.kind === "unknown_email") log.info(fields, "Resend event for an email Rapport did not send");
  else
    log.debug({ ...fields, deliveryId: outcome.deliveryId, outcome: outcome.kind }, "Resend event applied");
  return reply.status(200).send({ ok: true, outcome: outcome.kind });
}
