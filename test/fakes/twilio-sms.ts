import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readText, sendJson, startLocalServer } from "./http.ts";

/**
 * A loopback fake of Twilio's Programmable Messaging, the parts Rapport uses, with Twilio's documented shapes:
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (HTTP Basic with the Account SID and auth token; a form
 * with To, From or MessagingServiceSid, Body, StatusCallback) answered 201 with the Message resource
 * (`sid: "SM…"`, `status: "queued"`, `num_segments`, …) or Twilio's REST error `{ code, message, more_info,
 * status }`; and the other direction, the "A message comes in" webhook and status callbacks, form-encoded and
 * signed `X-Twilio-Signature` as Twilio documents it (twilio.com/docs/usage/webhooks/webhooks-security: the
 * full URL, then each POST parameter sorted by name as name + value, HMAC-SHA1 with the auth token, base64),
 * written here without the twilio package the app uses.
 */

/** One message the fake accepted. */
export interface TwilioSmsSent {
  sid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
}

/** A REST error to answer with {@link FakeTwilioSms.failNext}. */
export interface TwilioSmsFailure {
  /** Twilio's error code: 20429 (too many requests), 21610 (unsubscribed), 21211 (invalid To), 21614, 20500, … */
  code: number;
  /** HTTP status. Defaults by code: 429 for 20429, 500 for 20500, else 400. */
  status?: number;
  message?: string;
  /** How many consecutive sends fail. Defaults to 1. */
  times?: number;
}

/** A running fake Twilio. */
export interface FakeTwilioSms {
  /** TWILIO_API_ROOT: the fake's address, standing for https://api.twilio.com. */
  readonly apiRoot: string;
  readonly accountSid: string;
  readonly authToken: string;
  /** TWILIO_SMS_FROM: the account's number. */
  readonly from: string;
  readonly sent: TwilioSmsSent[];
  /** Every REST request's path and answer status, in arrival order. */
  readonly calls: Array<{ method: string; path: string; status: number }>;
  failNext(failure: TwilioSmsFailure): void;
  /**
   * POSTs an incoming SMS to `appUrl` + /webhooks/twilio/sms as Twilio does, signed for `publicUrl` + that path
   * (the URL set in Twilio's console); `fields` override or add parameters, `signature` overrides the header
   * (null: none). Returns the answer and the MessageSid posted.
   */
  sendInbound(
    appUrl: string,
    publicUrl: string,
    message: { from: string; body: string; fields?: Record<string, string> },
    options?: { signature?: string | null },
  ): Promise<{ status: number; text: string; contentType: string; messageSid: string }>;
  /**
   * POSTs a status callback for a message the fake accepted, to the StatusCallback it was sent with (its path
   * on `appUrl`), signed for that URL.
   */
  sendStatus(
    appUrl: string,
    sid: string,
    status: string,
    options?: { errorCode?: string; signature?: string | null },
  ): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** `X-Twilio-Signature` of a form posted to `url`, as Twilio documents it. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

const ERROR_TEXTS: Record<number, string> = {
  20429: "Too Many Requests",
  21610: "Attempt to send to unsubscribed recipient",
  21211: "The 'To' number is not a valid phone number.",
  21614: "'To' number is not a valid mobile number",
  20003: "Authenticate",
  20500: "An internal server error has occurred",
};

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** Starts the fake on 127.0.0.1. */
export async function startFakeTwilioSms(): Promise<FakeTwilioSms> {
  const accountSid = `AC${hex(16)}`;
  const authToken = hex(16);
  const from = `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`;
  const sent: TwilioSmsSent[] = [];
  const calls: FakeTwilioSms["calls"] = [];
  const failures: TwilioSmsFailure[] = [];
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;

  const restError = (res: ServerResponse, call: { status: number }, failure: TwilioSmsFailure) => {
    call.status = failure.status ?? (failure.code === 20429 ? 429 : failure.code === 20500 ? 500 : 400);
    sendJson(res, call.status, {
      code: failure.code,
      message: failure.message ?? ERROR_TEXTS[failure.code] ?? "Error",
      more_info: `https://www.twilio.com/docs/errors/${failure.code}`,
      status: call.status,
    });
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const call = { method: req.method ?? "", path: url.pathname, status: 0 };
    calls.push(call);
    const text = await readText(req);
    if (req.method !== "POST" || url.pathname !== path) {
      return restError(res, call, {
        code: 20404,
        status: 404,
        message: "The requested resource was not found",
      });
    }
    const basic = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString("base64")}`;
    if (req.headers.authorization !== basic) return restError(res, call, { code: 20003, status: 401 });
    if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded")) {
      return restError(res, call, { code: 20001, message: "expected a form" });
    }
    const form = new URLSearchParams(text);
    const to = form.get("To");
    const body = form.get("Body");
    const sender = form.get("From") ?? undefined;
    const service = form.get("MessagingServiceSid") ?? undefined;
    if (!to) return restError(res, call, { code: 21604, message: "A 'To' phone number is required." });
    if (!sender && !service)
      return restError(res, call, { code: 21603, message: "A 'From' phone number is required." });
    if (!body) return restError(res, call, { code: 21602, message: "Message body is required." });
    if (body.length > 1600)
      return restError(res, call, {
        code: 21617,
        message: "The concatenated message body exceeds the 1600 character limit.",
      });
    const failure = failures[0];
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.times <= 0) failures.shift();
      return restError(res, call, failure);
    }
    const sid = `SM${hex(16)}`;
    const statusCallback = form.get("StatusCallback") ?? undefined;
    sent.push({
      sid,
      to,
      body,
      ...(sender && { from: sender }),
      ...(service && { messagingServiceSid: service }),
      ...(statusCallback && { statusCallback }),
    });
    call.status = 201;
    const created = new Date().toUTCString().replace("GMT", "+0000");
    sendJson(res, 201, {
      account_sid: accountSid,
      api_version: "2010-04-01",
      body,
      date_created: created,
      date_sent: null,
      date_updated: created,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: sender ?? null,
      messaging_service_sid: service ?? null,
      num_media: "0",
      num_segments: "1",
      price: null,
      price_unit: "USD",
      sid,
      status: "queued",
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    });
  };

  const server = await startLocalServer(handler);

  const post = async (
    target: string,
    signedUrl: string,
    params: Record<string, string>,
    signature?: string | null,
  ) => {
    const header = signature === undefined ? twilioSignature(authToken, signedUrl, params) : signature;
    const response = await fetch(target, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        ...(header !== null && { "x-twilio-signature": header }),
      },
      body: new URLSearchParams(params).toString(),
    });
    return {
      status: response.status,
      text: await response.text(),
      contentType: response.headers.get("content-type") ?? "",
    };
  };

  return {
    apiRoot: server.url,
    accountSid,
    authToken,
    from,
    sent,
    calls,
    failNext(failure) {
      failures.push({ ...failure });
    },
    async sendInbound(appUrl, publicUrl, message, options = {}) {
      const messageSid = `SM${hex(16)}`;
      const params: Record<string, string> = {
        ToCountry: "US",
        ToState: "CA",
        SmsMessageSid: messageSid,
        NumMedia: "0",
        ToCity: "SAN FRANCISCO",
        FromZip: "",
        SmsSid: messageSid,
        FromState: "",
        SmsStatus: "received",
        FromCity: "",
        Body: message.body,
        FromCountry: "",
        To: from,
        MessagingServiceSid: "",
        ToZip: "94105",
        NumSegments: "1",
        MessageSid: messageSid,
        AccountSid: accountSid,
        From: message.from,
        ApiVersion: "2010-04-01",
        ...message.fields,
      };
      const answer = await post(
        `${appUrl}/webhooks/twilio/sms`,
        `${publicUrl}/webhooks/twilio/sms`,
        params,
        options.signature,
      );
      return { ...answer, messageSid: params.MessageSid ?? messageSid };
    },
    async sendStatus(appUrl, sid, status, options = {}) {
      const message = sent.find((m) => m.sid === sid);
      if (!message?.statusCallback) throw new Error(`fake Twilio: no message ${sid} with a StatusCallback`);
      const callback = new URL(message.statusCallback);
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: "2010-04-01",
        From: message.from ?? "",
        MessageSid: sid,
        MessageStatus: status,
        SmsSid: sid,
        SmsStatus: status,
        To: message.to,
        ...(options.errorCode && { ErrorCode: options.errorCode }),
      };
      const answer = await post(
        `${appUrl}${callback.pathname}${callback.search}`,
        message.statusCallback,
        params,
        options.signature,
      );
      return { status: answer.status, text: answer.text };
    },
    close: () => server.close(),
  };
}
