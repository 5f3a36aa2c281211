import type { TwitterApi, TwitterResponse } from "twitter-api-v2";
import { z } from "zod";
import { dmToInbound, type Normalised, tweetToInbound, type XBrand, XUserPayload } from "./inbound.ts";

const TWEET_FIELDS = "author_id,created_at,lang,entities,in_reply_to_user_id,conversation_id,note_tweet";
const USER_FIELDS = "name,username,profile_image_url";
const DM_FIELDS = "id,event_type,text,sender_id,dm_conversation_id,created_at";

/** One page of any X list endpoint. Items are checked one by one, so one odd item never loses the page. */
export const XPagePayload = z.looseObject({
  data: z.array(z.unknown()).optional(),
  includes: z.looseObject({ users: z.array(z.unknown()).optional() }).optional(),
  meta: z
    .looseObject({
      result_count: z.number().optional(),
      newest_id: z.string().optional(),
      next_token: z.string().optional(),
    })
    .optional(),
});
export type XPagePayload = z.infer<typeof XPagePayload>;

/** What a stream asks X for one page. */
export interface PageRequest {
  /** Only items newer than this id (streams with `sinceId`). */
  sinceId?: string;
  /** The `next_token` of the previous page. */
  token?: string;
  maxResults: number;
}

/** One thing the listener reads: a route, how to ask it for a page, and how to read its items. */
export interface XStream {
  /** Cursor and log name: "mentions", "dms", "search". */
  name: string;
  /** X's route, for rate limits and logs. */
  route: string;
  /** Whether the route filters by `since_id`; without it (DMs) the listener stops at the stored id. */
  sinceId: boolean;
  /** Page size on the very first run, which only learns the newest id: X's minimum, to pay for little. */
  firstRunPageSize: number;
  /** Page size afterwards. */
  pageSize: number;
  fetch(request: PageRequest): Promise<TwitterResponse<unknown>>;
  /** The id of the user who wrote an item (its `author_id` or `sender_id`), to keep that user with it. */
  userIdOf(item: unknown): string | undefined;
  normalise(item: unknown, context: { users: Map<string, XUserPayload>; now: number }): Normalised;
}

/** The users of a page's `includes`, by id; malformed ones are left out (their items keep the bare id). */
export function usersOf(page: XPagePayload): Map<string, XUserPayload> {
  const users = new Map<string, XUserPayload>();
  for (const raw of page.includes?.users ?? []) {
    const parsed = XUserPayload.safeParse(raw);
    if (parsed.success) users.set(parsed.data.id, parsed.data);
  }
  return users;
}

function field(item: unknown, name: string): string | undefined {
  const value = (item as Record<string, unknown> | null)?.[name];
  return typeof value === "string" ? value : undefined;
}

function query(values: Record<string, string | number | undefined>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number
  >;
}

/**
 * Posts that @-mention the brand or reply to it: `GET /2/users/:id/mentions`, paged by `pagination_token`.
 * `keywords` only name, on the listening desk, the configured keywords a mention also contains.
 */
export function mentionsStream(client: TwitterApi, brand: XBrand, keywords: readonly string[] = []): XStream {
  return {
    name: "mentions",
    route: "GET /2/users/:id/mentions",
    sinceId: true,
    firstRunPageSize: 5,
    pageSize: 100,
    fetch: (request) =>
      client.v2.get(
        `users/${brand.id}/mentions`,
        query({
          since_id: request.sinceId,
          pagination_token: request.token,
          max_results: request.maxResults,
          "tweet.fields": TWEET_FIELDS,
          expansions: "author_id",
          "user.fields": USER_FIELDS,
        }),
        { fullResponse: true },
      ),
    userIdOf: (item) => field(item, "author_id"),
    normalise: (item, context) => tweetToInbound(item, { brand, keywords, ...context }),
  };
}

/**
 * The `search/recent` query for keywords: any of them (phrases quoted), not by the brand, no retweets (a
 * retweet repeats a post already found).
 */
export function keywordQuery(keywords: string[], brand: XBrand): string {
  const terms = keywords
    .map((k) => k.replace(/"/g, "").trim())
    .filter(Boolean)
    .map((k) => (/\s/.test(k) ? `"${k}"` : k));
  return `(${terms.join(" OR ")}) -from:${brand.username} -is:retweet`;
}

/** Recent public posts matching keywords: `GET /2/tweets/search/recent`, paged by `next_token`. */
export function searchStream(client: TwitterApi, brand: XBrand, keywords: string[]): XStream {
  const q = keywordQuery(keywords, brand);
  return {
    name: "search",
    route: "GET /2/tweets/search/recent",
    sinceId: true,
    firstRunPageSize: 10,
    pageSize: 100,
    fetch: (request) =>
      client.v2.get(
        "tweets/search/recent",
        query({
          query: q,
          since_id: request.sinceId,
          next_token: request.token,
          max_results: request.maxResults,
          "tweet.fields": TWEET_FIELDS,
          expansions: "author_id",
          "user.fields": USER_FIELDS,
        }),
        { fullResponse: true },
      ),
    userIdOf: (item) => field(item, "author_id"),
    normalise: (item, context) => tweetToInbound(item, { brand, keywords, ...context }),
  };
}

/**
 * Direct messages to the brand: `GET /2/dm_events`, newest first. The route has no `since_id`, so each poll
 * reads one small page (10 events) and pages on only while every event is new; the listener stops at the
 * stored id. Those few re-read events are the price of polling DMs (the Account Activity webhook avoids it).
 */
export function dmStream(client: TwitterApi, brand: XBrand): XStream {
  return {
    name: "dms",
    route: "GET /2/dm_events",
    sinceId: false,
    firstRunPageSize: 1,
    pageSize: 10,
    fetch: (request) =>
      client.v2.get(
        "dm_events",
        query({
          "dm_event.fields": DM_FIELDS,
          event_types: "MessageCreate",
          expansions: "sender_id",
          "user.fields": USER_FIELDS,
          max_results: request.maxResults,
          pagination_token: request.token,
        }),
        { fullResponse: true },
      ),
    userIdOf: (item) => field(item, "sender_id"),
    normalise: (item, context) => dmToInbound(item, { brand, ...context }),
  };
}
