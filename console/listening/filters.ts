import { z } from "zod";
import { CHANNEL_NAMES } from "../../lib/channels.ts";

/** Where a listening hit stands (the `ListeningStatus` enum). */
export const LISTENING_STATUSES = ["new", "answered", "ignored", "escalated"] as const;
export type ListeningStatus = (typeof LISTENING_STATUSES)[number];

const blank = (value: unknown) => (value === "" ? undefined : value);

/**
 * The listening desk's query string. As in the inbox, a value the form never offers (a hand-edited URL) is
 * ignored rather than refused: the list shows with that filter off.
 */
export const ListeningQuery = z.object({
  /** A keyword the post contains, or "mention". */
  keyword: z.preprocess(blank, z.string().trim().min(1).max(200).optional()).catch(undefined),
  channel: z.preprocess(blank, z.enum(CHANNEL_NAMES).optional()).catch(undefined),
  status: z.preprocess(blank, z.enum(LISTENING_STATUSES).optional()).catch(undefined),
  after: z.preprocess(blank, z.string().max(200).optional()).catch(undefined),
});
export type ListeningQuery = z.infer<typeof ListeningQuery>;

/** The filters as a query string (without `after`), kept across pages and live updates. */
export function listeningQueryString(query: ListeningQuery): string {
  const params = new URLSearchParams();
  if (query.keyword) params.set("keyword", query.keyword);
  if (query.channel) params.set("channel", query.channel);
  if (query.status) params.set("status", query.status);
  return params.toString();
}
