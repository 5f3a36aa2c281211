import { createHmac, randomBytes } from "node:crypto";

/** A Resend webhook event as a test describes it; missing email fields come from the stored email. */
export interface ResendWebhookEventInput {
  /** "email.delivered", "email.bounced", … */
  type: string;
  /** When the event happened, ISO 8601. Defaults to the fake's clock. */
  created_at?: string;
  data: {
    email_id: string;
    from?: string;
    to?: string[];
    subject?: string;
    created_at?: string;
    /** `email.bounced`: `{ type: "Permanent" | "Transient" | "Undetermined", subType, message }`. */
    bounce?: { type: string; subType: string; message: string };
    /** `email.clicked`. */
    click?: { ipAddress: string; link: string; timestamp: string; userAgent: string };
    [field: string]: unknown;
  };
}

/** How to deliver one webhook call; the defaults make a correctly signed, current one. */
export interface WebhookSendOptions {
  /** `svix-id`. Defaults to a new `msg_…`; reuse one to play a redelivery. */
  id?: string;
  /** `svix-timestamp`, seconds. Defaults to the fake's clock. */
  timestamp?: number;
  /** Replaces the `svix-signature` header, e.g. to send a forged one. */
  signature?: string;
  /** Sends this exact body instead of the event's JSON (signed all the same). */
  rawBody?: string;
}

/** One webhook call the fake made, and what it got back. */
export interface WebhookCall {
  url: string;
  headers: Record<string, string>;
  /** The exact body sent. */
  body: string;
  status: number;
  /** The response body, as text. */
  response: string;
}

/** A new Svix signing secret, `whsec_<base64 of 24 random bytes>`, like the ones Resend shows. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** Svix's signature of a call: `v1,` + base64 HMAC-SHA256 of `${id}.${timestamp}.${body}` with the decoded secret. */
export function svixSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

/** The email fields Resend repeats in every `email.*` event. */
export interface EmailFacts {
  from: string;
  to: string[];
  subject: string;
  created_at: string;
}

/** The JSON Resend posts: `{ type, created_at, data: { email_id, from, to, subject, created_at, … } }`. */
export function resendWebhookPayload(
  event: ResendWebhookEventInput,
  email: EmailFacts | undefined,
  nowIso: string,
): Record<string, unknown> {
  return {
    type: event.type,
    created_at: event.created_at ?? nowIso,
    data: {
      created_at: email?.created_at ?? nowIso,
      from: email?.from ?? "Rapport Shop <hello@example.com>",
      to: email?.to ?? ["customer@example.com"],
      subject: email?.subject ?? "",
      message_id: `<${event.data.email_id}@email.amazonses.com>`,
      ...event.data,
    },
  };
}

/** POSTs one signed webhook call as Svix does. */
export async function postSignedWebhook(
  url: string,
  secret: string,
  body: string,
  options: WebhookSendOptions & { nowMs: number },
): Promise<WebhookCall> {
  const id = options.id ?? `msg_${randomBytes(12).toString("base64url")}`;
  const timestamp = options.timestamp ?? Math.floor(options.nowMs / 1_000);
  const headers = {
    "content-type": "application/json",
    "user-agent": "Svix-Webhooks/1.80.0 (sender-rapport-fake; +https://www.svix.com/http-sender/)",
    "svix-id": id,
    "svix-timestamp": String(timestamp),
    "svix-signature": options.signature ?? svixSignature(secret, id, timestamp, body),
  };
  const response = await fetch(url, { method: "POST", headers, body });
  return { url, headers, body, status: response.status, response: await response.text() };
}
