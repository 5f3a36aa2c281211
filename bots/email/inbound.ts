import type { Prisma } from "../../lib/db/index.ts";
import type { InboundMessage } from "../inbound.ts";
import { htmlToText } from "./html-text.ts";
import { parseMessageIds } from "./message-id.ts";
import { normalizeEmail } from "./opt-out.ts";
import { stripQuoted } from "./quoted.ts";
import { headerOf, type ReceivedEmail, type ReceivedEmailEventData } from "./received.ts";

/** Longest HTML body kept in an Interaction's `raw`, in characters; the text is always kept whole. */
export const MAX_STORED_HTML = 256 * 1024;

/**
 * The email facts kept in an inbound Interaction's `raw.email` (besides Resend's payloads under
 * `raw.resend`): what a reply in the same thread needs, and the full text so nothing is lost.
 */
export interface InboundEmailFacts {
  subject: string;
  /** The Message-ID header, "<…>", or null when the sender gave none. */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** The sender as written in the From header, "Name <address>". */
  from: string;
  /** The whole text (or the HTML's text), quoted history and signature included. */
  fullText: string;
  /** The Delivery this email answers, found from `In-Reply-To`/`References`, or null. */
  repliedDeliveryId: string | null;
}

/** The message ids an email names as its parents: `In-Reply-To` first, then `References` from the newest. */
export function parentIdsOf(email: ReceivedEmail): string[] {
  const inReplyTo = parseMessageIds(headerOf(email, "in-reply-to"));
  const references = parseMessageIds(headerOf(email, "references")).reverse();
  return [...new Set([...inReplyTo, ...references])];
}

/** The id an inbound email is stored under: its Message-ID, else Resend's id, so a redelivery is stored once. */
export function inboundEmailExternalId(
  data: Pick<ReceivedEmailEventData, "message_id" | "email_id">,
): string {
  const messageId = data.message_id?.trim();
  return messageId ? messageId : `resend:${data.email_id}`;
}

/**
 * An email a customer sent us as the conversation core's `InboundMessage`: the sender's address (normalised)
 * is the identity and where replies go; the text is the new part of the reply, quoted history stripped (from
 * the HTML when there is no text part); `raw` keeps Resend's webhook data and the retrieved email (HTML
 * capped at {@link MAX_STORED_HTML}) with the {@link InboundEmailFacts} under `raw.email`.
 */
export function toInboundEmail(
  event: ReceivedEmailEventData,
  email: ReceivedEmail,
  context: { receivedAt: Date; repliedDeliveryId?: string | null; conversationId?: string | null },
): InboundMessage {
  const address = normalizeEmail(event.from);
  const fromHeader = headerOf(email, "from") ?? email.from ?? event.from;
  const fullText = (email.text ?? "").trim() !== "" ? (email.text ?? "") : htmlToText(email.html ?? "");
  const facts: InboundEmailFacts = {
    subject: email.subject ?? event.subject ?? "",
    messageId: event.message_id?.trim() || email.message_id?.trim() || null,
    inReplyTo: parseMessageIds(headerOf(email, "in-reply-to")),
    references: parseMessageIds(headerOf(email, "references")),
    from: fromHeader,
    fullText,
    repliedDeliveryId: context.repliedDeliveryId ?? null,
  };
  const { raw: _download, ...kept } = email;
  const stored = { ...kept, html: email.html ? email.html.slice(0, MAX_STORED_HTML) : email.html };
  const attachments = (email.attachments ?? event.attachments ?? []).map((a) => ({
    kind: "file",
    id: a.id,
    name: a.filename ?? null,
    contentType: a.content_type ?? null,
    size: a.size ?? null,
  }));
  return {
    channel: "email",
    externalId: inboundEmailExternalId(event),
    sender: { externalId: address, displayName: displayNameOf(fromHeader), locale: localeOf(email) },
    threadRef: address,
    text: stripQuoted(fullText),
    ...(context.conversationId ? { conversationId: context.conversationId } : {}),
    sentAt: timeOf(event.created_at ?? email.created_at, context.receivedAt),
    ...(attachments.length > 0 ? { attachments } : {}),
    raw: toJson({ email: facts, resend: { event, email: stored } }),
  };
}

/** The display name of "Name <address>" (quotes removed), if there is one. */
export function displayNameOf(from: string): string | undefined {
  const name = /^\s*(.*?)\s*<[^<>]+>\s*$/
    .exec(from)?.[1]
    ?.replace(/^"(.*)"$/, "$1")
    .trim();
  return name ? name : undefined;
}

function localeOf(email: ReceivedEmail): string | undefined {
  return headerOf(email, "content-language")?.split(",")[0]?.trim() || undefined;
}

function timeOf(iso: string | null | undefined, fallback: Date): Date {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(ms) ? fallback : new Date(ms);
}

function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value));
}
