import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
// only the webhook module: the signature check, as the voice webhook does (bots/phone/twilio.ts)
import { validateRequest } from "twilio/lib/webhooks/webhooks.js";
import { cleanText } from "../../lib/clean-text.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import type { Logger } from "../../lib/logger.ts";
import { describeRoute } from "../../lib/openapi.ts";
import type { InboundHandler, InboundMessage } from "../inbound.ts";
import { type InboundRetries, recordInboundFailure } from "../inbound-failures.ts";
import { TwilioSmsForm, toInboundMessage } from "./inbound.ts";
import { applySmsStatus, TwilioSmsStatusForm } from "./statuses.ts";

/** Twilio's "A message comes in" webhook: set `${PUBLIC_URL}/webhooks/twilio/sms` on the number or service. */
export const TWILIO_SMS_PATH = "/webhooks/twilio/sms";
/** The status callback Rapport asks for with every message it sends. */
export const TWILIO_SMS_STATUS_PATH = "/webhooks/twilio/sms/status";

/** Dependencies of {@link registerSmsWebhook}. */
export interface SmsWebhookOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** TWILIO_AUTH_TOKEN: the HMAC key of X-Twilio-Signature. Unset: the routes answer 503 and store nothing. */
  authToken?: string;
  /** TWILIO_ACCOUNT_SID: a signed webhook of another account is ignored. */
  accountSid?: string;
  /** PUBLIC_URL: the base of the URL Twilio called, which it signs (never taken from the Host header). */
  publicUrl: string;
  onMessage: InboundHandler;
  retries?: InboundRetries;
}

/** The empty TwiML answer: Rapport answers through the REST API (its queue), not in the webhook's response. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?>\n<Response/>';

const responses = (ok: Record<number, string | { description: string; contentType: string }>) => ({
  ...ok,
  401: "X-Twilio-Signature missing or wrong; nothing stored",
  503: "TWILIO_AUTH_TOKEN is unset, or a message could be neither stored nor kept: Twilio retries",
});

const INBOUND_DOC = describeRoute({
  summary: "Twilio SMS webhook (a message comes in)",
  description:
    "Form-encoded as Twilio sends it; `X-Twilio-Signature` (HMAC-SHA1 over PUBLIC_URL + this path and the sorted " +
    "POST parameters, keyed with TWILIO_AUTH_TOKEN) is checked first. The message goes to the conversation core " +
    "with the From number as the customer's sms identity; STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT opt out, " +
    "START, YES, UNSTOP opt back in, HELP answers. Answers empty TwiML: replies go through the REST API.",
  tags: ["Platform webhooks"],
  auth: { signature: "twilioSignature" },
  body: { TwilioSmsForm },
  bodyType: "application/x-www-form-urlencoded",
  responses: responses({
    200: {
      description: "Empty TwiML `<Response/>` (also for a signed form Rapport does not read)",
      contentType: "text/xml",
    },
  }),
});

const STATUS_DOC = describeRoute({
  summary: "Twilio SMS status callback",
  description:
    "What became of a message Rapport sent (MessageStatus sent, delivered, undelivered, failed, …) onto the " +
    "Delivery with that MessageSid; signed as the inbound webhook.",
  tags: ["Platform webhooks"],
  auth: { signature: "twilioSignature" },
  body: { TwilioSmsStatusForm },
  bodyType: "application/x-www-form-urlencoded",
  responses: responses({ 204: "Applied, or acknowledged and ignored" }),
});

/** The form body exactly as sent, repeated names kept, for the signature. */
function signedParams(raw: Buffer): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(raw.toString("utf8"))) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

/** The form as fields (the first of repeated names), cleaned of what PostgreSQL cannot store. */
function formFields(raw: Buffer): Record<string, string> {
  const fields: Record<string, string> = Object.create(null);
  for (const [key, value] of new URLSearchParams(raw.toString("utf8"))) {
    const name = cleanText(key);
    if (!(name in fields)) fields[name] = cleanText(value);
  }
  return { ...fields };
}

/**
 * `POST /webhooks/twilio/sms` (Twilio's "A message comes in") and `POST /webhooks/twilio/sms/status` (status
 * callbacks). The body is read raw whatever its content type, and `X-Twilio-Signature` is checked with the
 * twilio package's `validateRequest` against PUBLIC_URL + the path Twilio called: wrong or missing → 401,
 * nothing stored. A signed body Rapport does not read is answered 200/204 and logged, never 5xx, so Twilio does
 * not retry it; a message that could not be stored is kept as an InboundFailure. A MessageSid delivered again
 * is stored once.
 */
export async function registerSmsWebhook(http: FastifyInstance, options: SmsWebhookOptions): Promise<void> {
  const log = options.log.child({ component: "sms-webhook" });
  options.retries?.register("sms", async (payload) => {
    const kept = JSON.parse(payload) as InboundMessage & { sentAt: string };
    await options.onMessage({ ...kept, sentAt: new Date(kept.sentAt) });
  });
  await http.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.post(TWILIO_SMS_PATH, { config: INBOUND_DOC }, (request, reply) =>
      inbound(options, log, request, reply),
    );
    scope.post(TWILIO_SMS_STATUS_PATH, { config: STATUS_DOC }, (request, reply) =>
      status(options, log, request, reply),
    );
  });
}

/** The signed form, or the answer already sent (503 unconfigured, 401 bad signature). */
function verified(
  options: SmsWebhookOptions,
  log: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
): Record<string, string> | undefined {
  if (!options.authToken) {
    void reply.status(503).send({
      error: "not_configured",
      message: "Twilio SMS webhooks are off: set TWILIO_AUTH_TOKEN (the account's auth token)",
    });
    return undefined;
  }
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const url = `${options.publicUrl}${request.url}`;
  const signature = request.headers["x-twilio-signature"];
  const header = Array.isArray(signature) ? signature[0] : signature;
  let valid = false;
  try {
    valid = Boolean(header) && validateRequest(options.authToken, header ?? "", url, signedParams(raw));
  } catch {
    valid = false;
  }
  if (!valid) {
    log.warn({ url, bytes: raw.length }, "Twilio SMS webhook refused: bad X-Twilio-Signature");
    void reply.status(401).send({
      error: "invalid_signature",
      message: `X-Twilio-Signature does not match: it must sign ${url} and the POST parameters with TWILIO_AUTH_TOKEN (is PUBLIC_URL the address Twilio calls?)`,
    });
    return undefined;
  }
  return formFields(raw);
}

async function inbound(
  options: SmsWebhookOptions,
  log: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const fields = verified(options, log, request, reply);
  if (!fields) return reply;
  const twiml = () => reply.status(200).type("text/xml; charset=utf-8").send(EMPTY_TWIML);
  const parsed = TwilioSmsForm.safeParse(fields);
  if (!parsed.success) {
    log.warn({ issue: parsed.error.issues[0]?.path.join(".") }, "Twilio SMS webhook not understood");
    return twiml();
  }
  if (options.accountSid && parsed.data.AccountSid !== options.accountSid) {
    log.warn({ accountSid: parsed.data.AccountSid }, "Twilio SMS of another account than TWILIO_ACCOUNT_SID");
    return twiml();
  }
  const message = toInboundMessage(parsed.data, fields, new Date(options.clock.now()));
  try {
    await options.onMessage(message);
  } catch (error) {
    log.error({ messageSid: message.externalId, err: error }, "SMS not stored");
    try {
      await recordInboundFailure(
        options.db,
        { channel: "sms", sourceKey: message.externalId, payload: message, error },
        new Date(options.clock.now()),
      );
    } catch (keepError) {
      log.error({ messageSid: message.externalId, err: keepError }, "SMS not kept either: Twilio will retry");
      return reply.status(503).send({ error: "unavailable", message: "the message could not be stored" });
    }
  }
  return twiml();
}

async function status(options: SmsWebhookOptions, log: Logger, request: FastifyRequest, reply: FastifyReply) {
  const fields = verified(options, log, request, reply);
  if (!fields) return reply;
  const parsed = TwilioSmsStatusForm.safeParse(fields);
  if (!parsed.success) {
    log.warn({ issue: parsed.error.issues[0]?.path.join(".") }, "Twilio SMS status not understood");
    return reply.status(204).send();
  }
  if (options.accountSid && parsed.data.AccountSid !== options.accountSid) return reply.status(204).send();
  const outcome = await applySmsStatus(options.db, parsed.data, new Date(options.clock.now()));
  log.debug({ messageSid: parsed.data.MessageSid, status: parsed.data.MessageStatus, outcome }, "SMS status");
  return reply.status(204).send();
}
