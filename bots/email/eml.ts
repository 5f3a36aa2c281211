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

/** Longest line RFC 5322 allows, in octets, without its CRLF. */
const MAX_LINE_OCTETS = 998;
/** Longest quoted-printable line (RFC 2045), soft line break included. */
const QP_LINE = 76;

/**
 * A body part as it reads in a text editor: 8bit UTF-8 with CRLF line ends when every line fits RFC 5322's
 * 998 octets, else quoted-printable (a minified HTML part). Never base64, which nobody can read.
 */
function encodeBody(text: string): { encoding: "8bit" | "quoted-printable"; body: string } {
  const lines = text.split(/\r?\n/);
  if (lines.every((line) => Buffer.byteLength(line, "utf8") <= MAX_LINE_OCTETS))
    return { encoding: "8bit", body: lines.join("\r\n") };
  return { encoding: "quoted-printable", body: lines.map(quotedPrintableLine).join("\r\n") };
}

/** One line as quoted-printable (RFC 2045 6.7): soft breaks keep each under 76 characters. */
function quotedPrintableLine(line: string): string {
  const out: string[] = [];
  let current = "";
  const bytes = Buffer.from(line, "utf8");
  for (const [i, byte] of bytes.entries()) {
    const last = i === bytes.length - 1;
    const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
    const token = plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (current.length + token.length > QP_LINE - 1) {
      out.push(`${current}=`);
      current = "";
    }
    current += token;
  }
  out.push(current);
  return out.join("\r\n");
}

/** A header value as {@link toEml} wrote it, with its RFC 2047 encoded-words (`=?UTF-8?B?…?=`) decoded. */
export function decodeHeader(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, data: string) =>
    Buffer.from(data, "base64").toString("utf8"),
  );
}

/**
 * Serialises an email as an RFC 5322 / MIME `.eml` file (multipart/alternative with text and HTML parts,
 * UTF-8, 8bit or quoted-printable so it also reads as text), which any mail client opens.
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
  const part = (type: string, text: string) => {
    const { encoding, body } = encodeBody(text);
    return [`Content-Type: ${type}; charset=UTF-8`, `Content-Transfer-Encoding: ${encoding}`, "", body];
  };
  if (!message.html) return [...head, ...part("text/plain", message.text), ""].join("\r\n");
  return [
    ...head,
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    ...part("text/plain", message.text),
    `--${boundary}`,
    ...part("text/html", message.html),
    `--${boundary}--`,
    "",
  ].join("\r\n");
}
