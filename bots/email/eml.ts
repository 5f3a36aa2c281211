import { randomUUID } from "node:crypto";

/** The parts of an email written to the outbox. */
export interface EmlMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  date: Date;
  messageId?: string;
}

/** RFC 2047 encoded-word for a header value with non-ASCII characters. */
function encodeHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** Encodes an address header "Name <addr>" keeping the address readable. */
function encodeAddress(value: string): string {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(value);
  if (!match?.[1]) return value;
  return `${encodeHeader(match[1].replace(/^"|"$/g, ""))} <${match[2]}>`;
}

function base64Lines(text: string): string {
  return (
    Buffer.from(text, "utf8")
      .toString("base64")
      .match(/.{1,76}/g)
      ?.join("\r\n") ?? ""
  );
}

/**
 * Serialises an email as an RFC 5322 / MIME `.eml` file (multipart/alternative with text and HTML parts,
 * UTF-8, base64), which any mail client opens.
 */
export function toEml(message: EmlMessage): string {
  const boundary = `rapport-${randomUUID()}`;
  const domain = /@([^>\s]+)/.exec(message.from)?.[1] ?? "rapport.local";
  const head = [
    `From: ${encodeAddress(message.from)}`,
    `To: ${encodeAddress(message.to)}`,
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${message.date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${message.messageId ?? randomUUID()}@${domain}>`,
    "MIME-Version: 1.0",
    // a line break in a caller's header would start a header (or the body) of its own choosing
    ...Object.entries(message.headers ?? {})
      .filter(([k]) => /^[\x21-\x39\x3b-\x7e]+$/.test(k))
      .map(([k, v]) => `${k}: ${encodeHeader(v.replace(/[\r\n]+/g, " "))}`),
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=UTF-8`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(body),
    ].join("\r\n");
  if (!message.html) {
    return [
      ...head,
      "Content-Type: text/plain; charset=UTF-8",
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(message.text),
      "",
    ].join("\r\n");
  }
  return [
    ...head,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    part("text/plain", message.text),
    part("text/html", message.html),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}
