import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseJson, readText, sendJson, startLocalServer } from "./http.ts";

/**
 * A loopback fake of the WhatsApp Business Cloud API endpoints Rapport uses, with Meta's documented shapes:
 * `POST /{version}/{phone-number-id}/messages` (Bearer token; `type: "text"` or `"template"`), answered
 * `{ messaging_product, contacts: [{ input, wa_id }], messages: [{ id: "wamid…" }] }` or Graph's error
 * envelope `{ error: { message, type, code, error_subcode, fbtrace_id } }`; and the other direction, webhook
 * notifications (`object: "whatsapp_business_account"`) signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256
 * of the raw body with the app secret>`, and the verification handshake (`hub.mode`, `hub.verify_token`,
 * `hub.challenge`).
 */

/** Options for {@link startFakeWhatsApp}. */
export interface FakeWhatsAppOptions {
  /** Clock in ms for `timestamp` fields. Defaults to `Date.now`. */
  now?: () => number;
}

/** One message the fake accepted. */
export interface WhatsAppSent {
  /** The wamid it answered. */
  id: string;
  to: string;
  type: string;
  /** `text.body` of a text message. */
  text?: string;
  /** A template message's name, language code and body parameters' texts. */
  template?: { name: string; language: string; params: string[] };
  /** The request body as sent. */
  body: Record<string, unknown>;
}

/** One request to the Graph API, in arrival order. */
export interface WhatsAppCall {
  method: string;
  path: string;
  status: number;
}

/** A Graph API error to answer with {@link FakeWhatsApp.failNext}. */
export interface WhatsAppFailure {
  /** Graph's `error.code`: 130429, 131056, 80007, 4 (rate limits), 131047, 131026, 190, 131000, … */
  code: number;
  /** HTTP status. Defaults by code: 429 for rate limits, 401 for 190, 500 for 131000 and 2, else 400. */
  status?: number;
  message?: string;
  /** How many consecutive sends fail. Defaults to 1. */
  times?: number;
}

/** A sender's profile in a notification's `contacts`. */
export interface WhatsAppContactInput {
  waId: string;
  name?: string;
}

/** A running fake Graph API. */
export interface FakeWhatsApp {
  /** WHATSAPP_API_ROOT: the server and its version, e.g. `http://127.0.0.1:1234/v21.0`. */
  readonly apiRoot: string;
  readonly accessToken: string;
  readonly phoneNumberId: string;
  /** WHATSAPP_APP_SECRET: signs the notifications {@link sendWebhook} posts. */
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly sent: WhatsAppSent[];
  readonly calls: WhatsAppCall[];
  failNext(failure: WhatsAppFailure): void;
  /** A notification carrying `messages` (each with `from` and `id` filled in when missing) from `contact`. */
  messagesNotification(contact: WhatsAppContactInput, messages: Array<Record<string, unknown>>): unknown;
  /** A notification carrying `statuses`. */
  statusesNotification(statuses: Array<Record<string, unknown>>): unknown;
  /**
   * POSTs `notification` (JSON) to `url` as Meta does, signed with the app secret; `signature` overrides the
   * header (null: none).
   */
  sendWebhook(
    url: string,
    notification: unknown,
    options?: { signature?: string | null; rawBody?: string },
  ): Promise<{ status: number; text: string }>;
  /** The handshake Meta does when the webhook is saved: GET with hub.mode, hub.verify_token, hub.challenge. */
  verifyWebhook(
    url: string,
    verifyToken?: string,
  ): Promise<{ status: number; text: string; challenge: string }>;
  close(): Promise<void>;
}

/** The `X-Hub-Signature-256` header of `body` under `secret`. */
export function hubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

const VERSION = "v21.0";
const RATE_LIMITS = new Set([130429, 131056, 80007, 4]);

function defaultStatus(code: number): number {
  if (RATE_LIMITS.has(code)) return 429;
  if (code === 190) return 401;
  if (code === 131000 || code === 2) return 500;
  return 400;
}

const ERROR_TEXTS: Record<number, string> = {
  130429: "(#130429) Rate limit hit",
  131056: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
  80007: "(#80007) Rate limit issues",
  4: "(#4) Application request limit reached",
  131047: "(#131047) Re-engagement message",
  131026: "(#131026) Message undeliverable",
  190: "Error validating access token: Session has expired",
  131000: "(#131000) Something went wrong",
};

/** Starts the fake on 127.0.0.1. */
export async function startFakeWhatsApp(options: FakeWhatsAppOptions = {}): Promise<FakeWhatsApp> {
  const now = options.now ?? Date.now;
  const accessToken = `EAAG${randomBytes(12).toString("hex")}`;
  const phoneNumberId = String(100_000_000_000_000 + Math.floor(Math.random() * 1e9));
  const appSecret = randomBytes(16).toString("hex");
  const verifyToken = `verify-${randomBytes(6).toString("hex")}`;
  const sent: WhatsAppSent[] = [];
  const calls: WhatsAppCall[] = [];
  const failures: WhatsAppFailure[] = [];
  let counter = 0;
  const wamid = () => `wamid.HBgM${Buffer.from(`${now()}-${++counter}`).toString("base64url")}`;

  const graphError = (res: ServerResponse, call: WhatsAppCall, failure: WhatsAppFailure) => {
    call.status = failure.status ?? defaultStatus(failure.code);
    sendJson(res, call.status, {
      error: {
        message: failure.message ?? ERROR_TEXTS[failure.code] ?? `(#${failure.code}) error`,
        type: "OAuthException",
        code: failure.code,
        error_subcode: failure.code === 190 ? 463 : 2494055,
        fbtrace_id: `A${randomBytes(8).toString("hex")}`,
      },
    });
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const call: WhatsAppCall = { method: req.method ?? "", path: url.pathname, status: 0 };
    calls.push(call);
    const text = await readText(req);
    if (req.method !== "POST" || url.pathname !== `/${VERSION}/${phoneNumberId}/messages`) {
      return graphError(res, call, { code: 100, status: 404, message: "Unsupported post request" });
    }
    if (req.headers.authorization !== `Bearer ${accessToken}`) {
      return graphError(res, call, {
        code: 190,
        message: "Invalid OAuth access token - Cannot parse access token",
      });
    }
    const parsed = parseJson(text);
    const body = parsed.ok ? (parsed.value as Record<string, unknown> | undefined) : undefined;
    if (body?.messaging_product !== "whatsapp" || typeof body.to !== "string") {
      return graphError(res, call, { code: 100, message: "(#100) Invalid parameter" });
    }
    const failure = failures[0];
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.times <= 0) failures.shift();
      return graphError(res, call, failure);
    }
    const record: WhatsAppSent = { id: wamid(), to: body.to, type: String(body.type ?? "text"), body };
    if (record.type === "text") {
      const textBody = (body.text as { body?: unknown } | undefined)?.body;
      if (typeof textBody !== "string" || textBody.length === 0 || textBody.length > 4096)
        return graphError(res, call, {
          code: 100,
          message: "(#100) Param text['body'] is required, at most 4096",
        });
      record.text = textBody;
    } else if (record.type === "template") {
      const template = body.template as
        | { name?: string; language?: { code?: string }; components?: Array<Record<string, unknown>> }
        | undefined;
      if (!template?.name || !template.language?.code)
        return graphError(res, call, { code: 100, message: "(#100) Param template['name'] is required" });
      const bodyPart = template.components?.find((c) => c.type === "body");
      const params = (
        (bodyPart?.parameters as Array<{ type?: string; text?: unknown }> | undefined) ?? []
      ).map((p) => String(p.text));
      record.template = { name: template.name, language: template.language.code, params };
    } else {
      return graphError(res, call, { code: 131051, message: "(#131051) Unsupported message type" });
    }
    sent.push(record);
    call.status = 200;
    sendJson(res, 200, {
      messaging_product: "whatsapp",
      contacts: [{ input: body.to, wa_id: body.to.replace(/^\+/, "") }],
      messages: [{ id: record.id }],
    });
  };

  const server = await startLocalServer(handler);
  const envelope = (value: Record<string, unknown>) => ({
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  });

  return {
    apiRoot: `${server.url}/${VERSION}`,
    accessToken,
    phoneNumberId,
    appSecret,
    verifyToken,
    sent,
    calls,
    failNext(failure) {
      failures.push({ ...failure });
    },
    messagesNotification(contact, messages) {
      const timestamp = String(Math.floor(now() / 1000));
      return envelope({
        contacts: [{ profile: { name: contact.name ?? "" }, wa_id: contact.waId }],
        messages: messages.map((m) => ({ from: contact.waId, id: wamid(), timestamp, ...m })),
      });
    },
    statusesNotification(statuses) {
      const timestamp = String(Math.floor(now() / 1000));
      return envelope({ statuses: statuses.map((s) => ({ timestamp, ...s })) });
    },
    async sendWebhook(url, notification, sendOptions = {}) {
      const body = sendOptions.rawBody ?? JSON.stringify(notification);
      const signature =
        sendOptions.signature === undefined ? hubSignature(appSecret, body) : sendOptions.signature;
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(signature !== null && { "x-hub-signature-256": signature }),
        },
        body,
      });
      return { status: response.status, text: await response.text() };
    },
    async verifyWebhook(url, token = verifyToken) {
      const challenge = String(Math.floor(Math.random() * 1e9));
      const query = new URLSearchParams({
        "hub.mode": "subscribe",
        "hub.verify_token": token,
        "hub.challenge": challenge,
      });
      const response = await fetch(`${url}?${query}`);
      return { status: response.status, text: await response.text(), challenge };
    },
    close: () => server.close(),
  };
}
