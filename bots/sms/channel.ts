import twilio from "twilio";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";
import type { Channel, OutboundMessage, SentMessage } from "../channel.ts";
import { setConsent } from "../consent.ts";
import { smsSegments } from "./segments.ts";

/** Twilio's REST API root, where the SDK sends. */
export const TWILIO_DEFAULT_API_ROOT = "https://api.twilio.com";

/** Options of {@link createSmsChannel}. */
export interface SmsChannelOptions {
  accountSid: string;
  authToken: string;
  /** TWILIO_SMS_FROM: the sending number, E.164. One of it and `messagingServiceSid` is needed. */
  from?: string;
  /** TWILIO_MESSAGING_SERVICE_SID: sends through the service's sender pool instead of one number. */
  messagingServiceSid?: string;
  /** Messages a second (TWILIO_SMS_PER_SECOND): a long code takes 1. */
  perSecond: number;
  /** Where Twilio posts each message's status: PUBLIC_URL + /webhooks/twilio/sms/status. */
  statusCallback?: string;
  /** TWILIO_API_ROOT (tests, proxies). Defaults to {@link TWILIO_DEFAULT_API_ROOT}. */
  apiRoot?: string;
  /** Where an opt-out Twilio reports (21610) is recorded. */
  db: Db;
  clock: Clock;
}

/** Twilio's error codes for "slow down": 20429 (too many requests) and 14107 (the account's send rate). */
const RATE_LIMIT_CODES = new Set([20429, 14107]);
/** The recipient is not a number a message can go to: 21211 invalid, 21614 not a mobile, 21612/21408 not reachable. */
const BAD_RECIPIENT_CODES = new Set([21211, 21614, 21612, 21408]);
/** 21610: the recipient answered STOP to this sender. */
const UNSUBSCRIBED = 21610;

/**
 * The SDK's request client with every URL's `https://api.twilio.com` replaced by `apiRoot`: the way Twilio
 * documents to point twilio-node at another server (a custom `httpClient`, twilio/twilio-node#326), the
 * requests staying the SDK's own (its auth, form encoding and error parsing).
 */
function redirectingClient(apiRoot: string): twilio.RequestClient {
  const inner = new twilio.RequestClient();
  const root = apiRoot.replace(/\/+$/, "");
  const redirect = {
    request: (opts: Parameters<twilio.RequestClient["request"]>[0]) =>
      inner.request({
        ...opts,
        uri: opts.uri.startsWith(TWILIO_DEFAULT_API_ROOT)
          ? root + opts.uri.slice(TWILIO_DEFAULT_API_ROOT.length)
          : opts.uri,
      }),
  };
  return redirect as unknown as twilio.RequestClient;
}

/**
 * SMS through Twilio's Programmable Messaging with the official `twilio` package: `client.messages.create`
 * with `to`, `from` (or `messagingServiceSid`), `body` and `statusCallback`; the answer's `sid` (SM…) is the
 * providerId status callbacks come back with. A text is sent as it is: Twilio splits it into segments
 * (bots/sms/segments.ts counts them; a campaign's `max_segments` caps them before it gets here).
 *
 * One long code takes one message a second (TWILIO_SMS_PER_SECOND for more). Twilio's errors: 429 or 20429
 * → rate limited (the queue waits); 21610 (the recipient sent STOP to this sender) → permanent, and the opt-out
 * is recorded (consent denied for sms and a suppression, as a STOP received here); 21211/21614 (invalid or not
 * a mobile number) and other 4xx → permanent; 5xx → transient. No idempotency key: the deliverer sends at most
 * once.
 */
export function createSmsChannel(options: SmsChannelOptions): Channel {
  const apiRoot = options.apiRoot ?? TWILIO_DEFAULT_API_ROOT;
  const client = twilio(options.accountSid, options.authToken, {
    ...(apiRoot !== TWILIO_DEFAULT_API_ROOT && { httpClient: redirectingClient(apiRoot) }),
  });
  const sender = options.messagingServiceSid
    ? { messagingServiceSid: options.messagingServiceSid }
    : { from: options.from ?? "" };
  return {
    name: "sms",
    limit: { max: options.perSecond, durationMs: 1_000 },
    idempotent: false,
    async send(message: OutboundMessage): Promise<SentMessage> {
      const context = { channel: "sms", deliveryId: message.deliveryId };
      const size = smsSegments(message.text);
      if (message.maxSegments !== undefined && size.segments > message.maxSegments) {
        throw new PermanentSendError(
          `too_long: the message takes ${size.segments} SMS segments (${size.units} ${size.encoding === "GSM-7" ? "GSM-7 characters" : "UCS-2 code units"}), more than the campaign's max_segments ${message.maxSegments}: shorten the template or raise limits.max_segments`,
          { ...context, providerCode: "too_long" },
        );
      }
      try {
        const sent = await client.messages.create({
          to: message.to,
          ...sender,
          body: message.text,
          ...(options.statusCallback && { statusCallback: options.statusCallback }),
        });
        if (!sent.sid) throw new TransientSendError("Twilio answered without a message sid", context);
        return { providerId: sent.sid };
      } catch (error) {
        if (error instanceof TransientSendError) throw error;
        throw await toSendError(options, message, error, context);
      }
    },
  };
}

async function toSendError(
  options: SmsChannelOptions,
  message: OutboundMessage,
  error: unknown,
  context: { channel: string; deliveryId: string },
): Promise<Error> {
  const rest = error instanceof twilio.RestException ? error : undefined;
  if (!rest) {
    // no answer from Twilio: refused before the request went out, or cut after it (it may have been sent)
    const code = (error as { code?: unknown }).code;
    const refused = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
    return new TransientSendError(
      `Twilio unreachable: ${error instanceof Error ? error.message : String(error)}`,
      context,
      refused,
    );
  }
  const providerCode = String(rest.code ?? rest.status);
  const ctx = { ...context, providerCode };
  const text = `Twilio ${providerCode}: ${rest.message}${rest.moreInfo ? ` (${rest.moreInfo})` : ""}`;
  if (rest.status === 429 || (rest.code !== undefined && RATE_LIMIT_CODES.has(rest.code))) {
    return new RateLimitedError(1_000, ctx);
  }
  if (rest.code === UNSUBSCRIBED) {
    await recordOptOut(options, message);
    return new PermanentSendError(`${text}: the customer replied STOP to this number; opt-out recorded`, ctx);
  }
  if (rest.code !== undefined && BAD_RECIPIENT_CODES.has(rest.code)) return new PermanentSendError(text, ctx);
  if (rest.status === 401 || rest.code === 20003)
    return new PermanentSendError(
      `${text}: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio console → Account info)`,
      ctx,
    );
  if (rest.status >= 500) return new TransientSendError(text, ctx, true);
  return new PermanentSendError(text, ctx);
}

/** Twilio says the number sent STOP to this sender: the same opt-out as a STOP received by the webhook. */
async function recordOptOut(options: SmsChannelOptions, message: OutboundMessage): Promise<void> {
  const identity = await options.db.identity.findFirst({
    where: { channel: "sms", externalId: message.to },
    select: { customerId: true },
  });
  if (!identity) return;
  await setConsent(options.db, {
    customerId: identity.customerId,
    channel: "sms",
    address: message.to,
    status: "denied",
    source: "twilio_21610",
    evidence: { deliveryId: message.deliveryId, code: UNSUBSCRIBED },
    at: new Date(options.clock.now()),
  });
}
