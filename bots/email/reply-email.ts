import { type Locale, toLocale } from "../../lib/channels.ts";
import { dateTimeFormat } from "../../lib/intl.ts";
import type { EmailThread } from "./threading.ts";

/** The words a reply email adds around the text staff (or the bot) wrote, per locale. */
export const REPLY_TEXTS: Record<"subject" | "attribution", Record<Locale, string>> = {
  /** Subject of a reply when the customer's email had none (or there is no email to answer). */
  subject: {
    en: "A reply to your message",
    id: "Balasan untuk pesan Anda",
    pl: "Odpowiedź na Twoją wiadomość",
  },
  /** The line above the quoted email; the quote stripper recognises each of these when the customer answers. */
  attribution: {
    en: "On {date}, {from} wrote:",
    id: "Pada {date}, {from} menulis:",
    pl: "W dniu {date} {from} napisał(a):",
  },
};

/** "Re:" and its translations that mail clients put before a subject (Polish "Odp:", German "AW:", …). */
const REPLY_PREFIX = /^\s*((re|aw|sv|odp|balas|antw|vs)\s*(\[\d+\])?\s*:\s*)+/i;

/** "Re: <subject>", never "Re: Re: …", whatever prefix the customer's client used; empty → `fallback`. */
export function replySubject(subject: string, fallback: string): string {
  const bare = subject.replace(REPLY_PREFIX, "").trim();
  return bare === "" ? fallback : `Re: ${bare}`;
}

/** A written reply to send by email, with the thread it answers (if any). */
export interface EmailReplyInput {
  text: string;
  /** The customer's locale ("pl-PL" and unknown tags fall back as `toLocale` does). */
  locale: string | null;
  /** The customer's IANA time zone, for the date of the quoted email. */
  timeZone: string;
  thread?: EmailThread;
  /**
   * Written by the bot, not a person: marked `Auto-Submitted: auto-replied` (RFC 3834), so that other
   * systems' autoresponders do not answer it (and Rapport drops mail so marked: no loops).
   */
  automatic?: boolean;
}

/** A reply email's parts: subject, text and HTML bodies, threading headers. */
export interface EmailReply {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/**
 * A reply as a proper email: subject "Re: <the customer's subject>", `In-Reply-To` the customer's last email
 * and `References` its thread (RFC 5322 §3.6.4), the text as plain text and simple HTML, and the customer's
 * email quoted below it in their language ("On … wrote:"), as a mail client would. Without a thread it is a
 * plain email with a generic subject. Deterministic: a retried send is the same email.
 */
export function emailReply(input: EmailReplyInput): EmailReply {
  const locale = toLocale(input.locale);
  const { thread } = input;
  const subject = replySubject(thread?.subject ?? "", REPLY_TEXTS.subject[locale]);
  const headers: Record<string, string> = {};
  if (thread?.messageId) headers["In-Reply-To"] = thread.messageId;
  if (thread?.references.length) headers.References = thread.references.join(" ");
  if (input.automatic) headers["Auto-Submitted"] = "auto-replied";
  const body = input.text.trim();
  if (!thread || thread.text.trim() === "") return { subject, text: body, html: htmlOf(body), headers };
  const attribution = REPLY_TEXTS.attribution[locale]
    .replace("{date}", dateOf(thread.sentAt, locale, input.timeZone))
    .replace("{from}", thread.from || "");
  const quoted = thread.text
    .trim()
    .split("\n")
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n");
  return {
    subject,
    text: `${body}\n\n${attribution}\n${quoted}\n`,
    html: `${htmlOf(body)}\n<div>${escapeHtml(attribution)}</div>\n<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${htmlOf(thread.text.trim())}</blockquote>`,
    headers,
  };
}

function dateOf(at: Date, locale: Locale, timeZone: string): string {
  return dateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(at);
}

/** Paragraphs for blank-line-separated blocks, `<br>` for single line breaks, everything escaped. */
function htmlOf(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((block) => `<p>${escapeHtml(block).replace(/\n/g, "<br>\n")}</p>`)
    .join("\n");
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
