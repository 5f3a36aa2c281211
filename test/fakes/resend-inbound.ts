import { randomUUID } from "node:crypto";

/** An email a customer sends to one of our receiving addresses, as a test describes it. */
export interface ReceivedEmailInput {
  /** The From header, "Name <address>" or a bare address. */
  from: string;
  to: string[];
  subject: string;
  /** The text part; `null` for an HTML-only email. */
  text?: string | null;
  html?: string | null;
  /** The Message-ID header, "<…>". Defaults to a new `<uuid@mail.customer.test>`. */
  messageId?: string;
  /** `In-Reply-To` header. */
  inReplyTo?: string;
  /** `References` header: ids separated by spaces. */
  references?: string;
  cc?: string[];
  /** More headers, any case (they are stored lower-cased, as Resend returns them). */
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; content_type: string; size: number }>;
}

/** An attachment's metadata, as Resend lists it on a received email. */
export interface ReceivedAttachment {
  id: string;
  filename: string;
  content_type: string;
  content_disposition: "attachment" | "inline" | null;
  content_id: string | null;
  size: number;
}

/**
 * A received email exactly as `GET /emails/receiving/{id}` returns it (resend.com/docs/api-reference/emails/
 * retrieve-received-email): bare `from`, header names lower-cased, `raw` a signed download link.
 */
export interface StoredReceivedEmail {
  object: "email";
  id: string;
  to: string[];
  from: string;
  created_at: string;
  subject: string;
  html: string | null;
  html_format: "data_uri" | "cid";
  text: string | null;
  headers: Record<string, string>;
  bcc: string[];
  cc: string[];
  reply_to: string[];
  received_for: string[];
  authentication: { spf: string; dkim: string; dmarc: string };
  message_id: string;
  raw: { download_url: string; expires_at: string };
  attachments: ReceivedAttachment[];
}

const bare = (address: string) => (/<([^<>]+)>\s*$/.exec(address)?.[1] ?? address).trim();

/** The stored form of a received email, as Resend keeps it from the moment it arrives. */
export function receivedEmailRecord(input: ReceivedEmailInput, nowMs: number): StoredReceivedEmail {
  const id = randomUUID();
  const createdAt = new Date(nowMs).toISOString();
  const messageId = input.messageId ?? `<${randomUUID()}@mail.customer.test>`;
  const headers: Record<string, string> = {
    "return-path": bare(input.from),
    from: input.from,
    to: input.to.join(", "),
    subject: input.subject,
    date: new Date(nowMs).toUTCString().replace("GMT", "+0000"),
    "message-id": messageId,
    "mime-version": "1.0",
    ...(input.inReplyTo ? { "in-reply-to": input.inReplyTo } : {}),
    ...(input.references ? { references: input.references } : {}),
    ...Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  return {
    object: "email",
    id,
    to: input.to,
    from: bare(input.from),
    created_at: createdAt,
    subject: input.subject,
    html: input.html ?? null,
    html_format: "data_uri",
    text: input.text === undefined ? null : input.text,
    headers,
    bcc: [],
    cc: input.cc ?? [],
    reply_to: [],
    received_for: input.to,
    authentication: { spf: "pass", dkim: "pass", dmarc: "pass" },
    message_id: messageId,
    raw: {
      download_url: `https://fake-resend.test/receiving/raw/${id}?Signature=fake`,
      expires_at: new Date(nowMs + 3_600_000).toISOString(),
    },
    attachments: (input.attachments ?? []).map((a) => ({
      id: randomUUID(),
      filename: a.filename,
      content_type: a.content_type,
      content_disposition: "attachment",
      content_id: null,
      size: a.size,
    })),
  };
}

/** The retrieve endpoint's answer: the record, with `html_format` echoing the one asked for. */
export function retrieveReceivedBody(
  email: StoredReceivedEmail,
  htmlFormat: string | null,
): StoredReceivedEmail {
  return { ...email, html_format: htmlFormat === "cid" ? "cid" : "data_uri" };
}

/**
 * The `data` of Resend's `email.received` webhook for a stored received email (resend.com/docs/webhooks/
 * emails/received): metadata only — no body, no headers — with `from` the bare address.
 */
export function receivedWebhookData(email: StoredReceivedEmail): Record<string, unknown> {
  return {
    email_id: email.id,
    created_at: email.created_at,
    from: email.from,
    to: email.to,
    bcc: email.bcc,
    cc: email.cc,
    received_for: email.received_for,
    message_id: email.message_id,
    subject: email.subject,
    attachments: email.attachments.map(({ size: _size, ...metadata }) => metadata),
  };
}
