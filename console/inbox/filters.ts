import { z } from "zod";
import { CHANNEL_NAMES } from "../../lib/channels.ts";

/** The inbox's status tabs: the three statuses, plus snoozed ones (out of open until their time). */
export const INBOX_STATUSES = ["open", "pending", "snoozed", "closed"] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

const blank = (value: unknown) => (value === "" ? undefined : value);

/** Longest search the inbox takes, in characters; the rest is cut. */
export const SEARCH_LENGTH = 200;

/** A conversation label: lower-case letters (any script), digits, `-` and `_`, up to 40 characters. */
export const LABEL = /^[\p{Ll}\p{Lo}\p{N}][\p{Ll}\p{Lo}\p{N}_-]{0,39}$/u;

/** A label as typed ("  Refund ") as it is stored ("refund"); anything else passes through unchanged. */
export function normalLabel(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const label = value.normalize("NFC").trim().toLowerCase().replace(/\s+/g, "-");
  return label === "" ? undefined : label;
}

/** Where a page of the list starts: after this conversation, in (lastMessageAt desc, id desc) order. */
export interface InboxCursor {
  lastMessageAt: Date;
  id: string;
}

/** Encodes a cursor for the `after` query parameter. */
export function encodeCursor(cursor: InboxCursor): string {
  return Buffer.from(`${cursor.lastMessageAt.toISOString()}|${cursor.id}`).toString("base64url");
}

/** Decodes an `after` parameter; undefined for anything that is not one. */
export function decodeCursor(value: string | undefined): InboxCursor | undefined {
  if (!value || value.length > 200) return undefined;
  const [at, id] = Buffer.from(value, "base64url").toString("utf8").split("|");
  const lastMessageAt = new Date(at ?? "");
  if (Number.isNaN(lastMessageAt.getTime()) || !z.uuid().safeParse(id).success) return undefined;
  return { lastMessageAt, id: id! };
}

/**
 * The inbox's query string. A value the form never offers (a hand-edited URL) is ignored rather than refused:
 * the list shows with that filter off.
 */
export const InboxQuery = z.object({
  status: z.preprocess(blank, z.enum(INBOX_STATUSES).default("open")).catch("open"),
  channel: z.preprocess(blank, z.enum(CHANNEL_NAMES).optional()).catch(undefined),
  /** "mine", "unassigned" or a staff member's id. */
  assignee: z
    .preprocess(blank, z.union([z.enum(["mine", "unassigned"]), z.uuid()]).optional())
    .catch(undefined),
  /** A customer language ("pl"): also matches regional tags ("pl-PL"). */
  locale: z
    .preprocess(
      blank,
      z
        .string()
        .regex(/^[a-z]{2,3}$/)
        .optional(),
    )
    .catch(undefined),
  /** A conversation label ("refund"): conversations carrying it. */
  label: z.preprocess(normalLabel, z.string().regex(LABEL).optional()).catch(undefined),
  /**
   * Words to find in the messages (PostgreSQL full text, `simple` configuration, web-search syntax: "quotes",
   * or, -not); longer text is cut. (The query string parser, lib/http.ts, has dropped NUL characters.)
   */
  q: z
    .preprocess(
      (value) => (typeof value === "string" ? blank(value.trim().slice(0, SEARCH_LENGTH)) : value),
      z.string().optional(),
    )
    .catch(undefined),
  after: z.preprocess(blank, z.string().max(200).optional()).catch(undefined),
});
export type InboxQuery = z.infer<typeof InboxQuery>;

/** The filters of a list as a query string (without `after`), to keep them across pages and live updates. */
export function filterQueryString(query: InboxQuery): string {
  const params = new URLSearchParams();
  if (query.status !== "open") params.set("status", query.status);
  if (query.channel) params.set("channel", query.channel);
  if (query.assignee) params.set("assignee", query.assignee);
  if (query.locale) params.set("locale", query.locale);
  if (query.label) params.set("label", query.label);
  if (query.q) params.set("q", query.q);
  return params.toString();
}
