import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
// only the webhook module: the whole SDK (its REST client, axios) is not needed to check a signature
import { validateRequest } from "twilio/lib/webhooks/webhooks.js";
import { z } from "zod";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { bodyIssues, sendInvalidBody } from "../../lib/http.ts";
import { describeRoute } from "../../lib/openapi.ts";
import { type CallReport, type CallState, type RecordedCall, recordCall, toE164 } from "./calls.ts";

/** The path Twilio's "A call comes in" webhook is set to (PUBLIC_URL + this). */
export const TWILIO_VOICE_PATH = "/webhooks/twilio/voice";
/** The path of the call status callback (the voice path itself also takes status callbacks). */
export const TWILIO_STATUS_PATH = "/webhooks/twilio/voice/status";

/** Twilio's `CallStatus` values, and the state each means here. */
const TWILIO_STATES: Record<string, CallState> = {
  queued: "ringing",
  initiated: "ringing",
  ringing: "ringing",
  "in-progress": "answered",
  completed: "ended",
  busy: "missed",
  failed: "missed",
  "no-answer": "missed",
  canceled: "missed",
};

const bounded = (max: number) => z.string().max(max, { error: `expected at most ${max} characters` });

/**
 * The fields of Twilio's voice webhook and status callback Rapport reads (Twilio sends more: Caller, Called,
 * CallerCountry, ApiVersion, … and they are kept in the stored report). Checked after the signature.
 */
export const TwilioVoiceForm = z.looseObject({
  CallSid: z
    .string()
    .regex(/^CA[0-9a-fA-F]{32}$/, { error: "expected Twilio's call id, CA and 32 hex digits" }),
  AccountSid: z
    .string()
    .regex(/^AC[0-9a-fA-F]{32}$/, { error: "expected Twilio's account id, AC and 32 hex digits" }),
  From: bounded(256),
  To: bounded(256),
  CallStatus: z.enum(Object.keys(TWILIO_STATES) as [string, ...string[]], {
    error: `expected one of ${Object.keys(TWILIO_STATES).join(", ")}`,
  }),
  Direction: bounded(32).optional(),
  CallDuration: z
    .string()
    .regex(/^\d{1,7}$/, { error: "expected a whole number of seconds" })
    .optional(),
  Timestamp: bounded(64).optional(),
});

/** Dependencies of the Twilio voice webhook. */
export interface TwilioVoiceOptions {
  db: Db;
  clock: Clock;
  /** TWILIO_AUTH_TOKEN: the HMAC key of X-Twilio-Signature. Unset: the routes answer 503 and store nothing. */
  authToken: string | undefined;
  /** TWILIO_ACCOUNT_SID: when set, a webhook of another account is refused (403). */
  accountSid?: string;
  /** PUBLIC_URL: the base of the URL Twilio called, which it signs (never taken from the Host header). */
  publicUrl: string;
  /** TWILIO_VOICE_DIAL: where the voice answer `<Dial>`s the call (a number or sip: address). Unset: `<Response/>`. */
  dial?: string;
  /** Told of every stored change of a call (the console's screen pop). Never awaited for the answer. */
  onCall?: (call: RecordedCall, report: CallReport) => void;
}

/** The form body exactly as sent, repeated names kept, for the signature (the parsed body is cleaned). */
function signedParams(raw: Buffer | undefined): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(raw?.toString("utf8") ?? "")) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

const xmlEscape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );

/** The TwiML answer to an incoming call: `<Dial>` to the configured number, else an empty response. */
export function voiceTwiml(dial: string | undefined): string {
  const body = dial ? `<Dial>${xmlEscape(dial)}</Dial>` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response>${body}</Response>`;
}

/** Twilio's `Timestamp` (RFC 2822) when it is a date, else now. */
function reportTime(timestamp: string | undefined, now: number): Date {
  const at = timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  return new Date(Number.isFinite(at) ? at : now);
}

/**
 * `POST /webhooks/twilio/voice` (Twilio's "A call comes in" webhook, and the status callback) and
 * `POST /webhooks/twilio/voice/status`: form-encoded as Twilio sends them. `X-Twilio-Signature` is checked
 * with the twilio package's `validateRequest` against PUBLIC_URL + the path and query Twilio called: wrong or
 * missing → 403 and nothing stored. Then the call is stored (bots/phone/calls.ts) and the voice URL answers
 * TwiML. No auth token configured → 503.
 */
export function registerTwilioVoice(http: FastifyInstance, options: TwilioVoiceOptions): void {
  const handle = (answer: "twiml" | "empty") => async (request: FastifyRequest, reply: FastifyReply) => {
    if (!options.authToken) {
      return reply.status(503).send({
        error: "not_configured",
        message:
          "Twilio calls are off: set TWILIO_AUTH_TOKEN (the account's auth token) to take this webhook",
      });
    }
    const media = String(request.headers["content-type"] ?? "")
      .split(";")[0]!
      .trim()
      .toLowerCase();
    if (media !== "application/x-www-form-urlencoded") {
      return reply.status(415).send({
        error: "unsupported_media_type",
        message: "send application/x-www-form-urlencoded, as Twilio does",
      });
    }
    const url = `${options.publicUrl}${request.url}`;
    const signature = String(request.headers["x-twilio-signature"] ?? "");
    if (!signature || !validateRequest(options.authToken, signature, url, signedParams(request.rawBody))) {
      request.log.warn({ url }, "Twilio webhook refused: bad X-Twilio-Signature");
      return reply.status(403).send({
        error: "invalid_signature",
        message: `X-Twilio-Signature does not match: it must sign ${url} and the POST parameters with TWILIO_AUTH_TOKEN (is PUBLIC_URL the address Twilio calls?)`,
      });
    }
    const parsed = TwilioVoiceForm.safeParse(request.body ?? {});
    if (!parsed.success) {
      return sendInvalidBody(reply, bodyIssues(parsed.error));
    }
    const form = parsed.data;
    if (options.accountSid && form.AccountSid !== options.accountSid) {
      return reply.status(403).send({
        error: "wrong_account",
        message: "AccountSid: this webhook is from another Twilio account than TWILIO_ACCOUNT_SID",
      });
    }
    if (typeof form.ParentCallSid === "string" && form.ParentCallSid !== "") {
      // a leg of a call already stored (a <Dial> to an agent): the same conversation, not another caller
      return answer === "twiml" ? sendTwiml(reply, options.dial) : reply.status(204).send();
    }
    const outbound = form.Direction?.startsWith("outbound") ?? false;
    const customerNumber = toE164(outbound ? form.To : form.From);
    if (!customerNumber) {
      // a withheld caller id ("anonymous", "+266696687"): nobody to pop or to file the call under
      request.log.info({ callSid: form.CallSid }, "Twilio call without a caller number: not stored");
      return answer === "twiml" ? sendTwiml(reply, options.dial) : reply.status(204).send();
    }
    const agent =
      typeof (request.query as Record<string, unknown>)?.agent === "string"
        ? ((request.query as Record<string, string>).agent as string).slice(0, 320)
        : undefined;
    const report: CallReport = {
      source: "twilio",
      callId: form.CallSid,
      customerNumber,
      brandNumber: outbound ? form.From : form.To,
      direction: outbound ? "outbound" : "inbound",
      state: TWILIO_STATES[form.CallStatus]!,
      ...(form.CallDuration !== undefined && { durationSeconds: Number(form.CallDuration) }),
      ...(agent && { agent }),
      at: reportTime(form.Timestamp, options.clock.now()),
      raw: request.body,
    };
    const recorded = await recordCall(options.db, report);
    if (recorded.changed) options.onCall?.(recorded, report);
    return answer === "twiml" ? sendTwiml(reply, options.dial) : reply.status(204).send();
  };
  http.post(TWILIO_VOICE_PATH, { config: voiceDoc("twiml") }, handle("twiml"));
  http.post(TWILIO_STATUS_PATH, { config: voiceDoc("empty") }, handle("empty"));
}

function voiceDoc(answer: "twiml" | "empty") {
  return describeRoute({
    summary: answer === "twiml" ? "Twilio voice webhook (a call comes in)" : "Twilio call status callback",
    description:
      "Form-encoded as Twilio sends it. The signature covers PUBLIC_URL + this path and its query string (add " +
      "`?agent=<staff email or id>` to pop the call in one agent's console). Each CallSid is one interaction on " +
      "channel `phone`; status callbacks move it forward and add the duration when it completes." +
      (answer === "twiml"
        ? " Answers TwiML: `<Dial>` to TWILIO_VOICE_DIAL, else an empty `<Response/>`."
        : ""),
    tags: ["Calls"],
    auth: { signature: "twilioSignature" },
    body: { TwilioVoiceForm },
    bodyType: "application/x-www-form-urlencoded",
    query: { agent: { description: "The staff member (email or id) whose console pops the call" } },
    responses: {
      ...(answer === "twiml"
        ? { 200: { description: "TwiML", contentType: "text/xml" } }
        : { 204: "Stored (or nothing new)" }),
      400: "A signed form missing or breaking a field Rapport reads: `issues[].path` names it; nothing stored",
      403: "Wrong or missing X-Twilio-Signature, or another account's AccountSid; nothing stored",
      415: "The Content-Type is not application/x-www-form-urlencoded",
      503: "TWILIO_AUTH_TOKEN is unset: Twilio calls are off",
    },
  });
}

function sendTwiml(reply: FastifyReply, dial: string | undefined): FastifyReply {
  return reply.status(200).type("text/xml; charset=utf-8").send(voiceTwiml(dial));
}
