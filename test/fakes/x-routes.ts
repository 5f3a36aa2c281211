import { X_ROUTES, type XRoute } from "./x-limits.ts";
import type { XDmEvent, XState, XTweet, XUser } from "./x-state.ts";
import {
  checkParams,
  invalidRequest,
  listParam,
  maxResults,
  type Page,
  pageMeta,
  paginate,
  pick,
  problem,
} from "./x-wire.ts";

/** A sent DM as the fake recorded it. */
export interface SentXDm {
  participantId: string;
  text: string;
  dmEventId: string;
  dmConversationId: string;
}

/** What a route handler gets: the parsed request and the fake's state. */
export interface RouteRequest {
  query: URLSearchParams;
  pathParams: string[];
  body: unknown;
  state: XState;
  posted: XTweet[];
  sentDms: SentXDm[];
}

/** A route: its pattern and handler, returning the status and JSON body. */
export interface RouteDefinition {
  route: XRoute;
  method: "GET" | "POST";
  pattern: RegExp;
  handle(request: RouteRequest): { status: number; body: unknown };
}

const FIELD_PARAMS = [
  "expansions",
  "tweet.fields",
  "user.fields",
  "media.fields",
  "place.fields",
  "poll.fields",
];
const TIMELINE_PARAMS = [...FIELD_PARAMS, "since_id", "until_id", "max_results", "start_time", "end_time"];
const TWEET_DEFAULTS = ["id", "text", "edit_history_tweet_ids"];
const USER_DEFAULTS = ["id", "name", "username"];
const TWEET_LIMIT = 280;

function users(state: XState, ids: string[], query: URLSearchParams): Array<Partial<XUser>> {
  const unique = [...new Set(ids)].flatMap((id) => {
    const user = state.users.get(id);
    return user ? [user] : [];
  });
  return unique.map((u) => pick(u, USER_DEFAULTS, listParam(query, "user.fields")));
}

/** A tweet timeline page as X shapes it: `data` and `includes` only when there is something to show. */
function timeline(page: Page<XTweet>, state: XState, query: URLSearchParams): unknown {
  if (page.items.length === 0) return { meta: pageMeta(page) };
  const expand = listParam(query, "expansions").includes("author_id");
  // as X documents: an expansion puts its id field in the post too, so it links to its `includes` object
  const fields = [...listParam(query, "tweet.fields"), ...(expand ? ["author_id"] : [])];
  const data = page.items.map((t) => pick(t, TWEET_DEFAULTS, fields));
  const includes = expand
    ? {
        users: users(
          state,
          page.items.map((t) => t.author_id),
          query,
        ),
      }
    : undefined;
  return { data, ...(includes ? { includes } : {}), meta: pageMeta(page) };
}

function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("body", String(body), "The request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** Every route the fake serves. */
export const ROUTES: RouteDefinition[] = [
  {
    route: X_ROUTES.me,
    method: "GET",
    pattern: /^\/2\/users\/me$/,
    handle({ query, state }) {
      checkParams(query, FIELD_PARAMS);
      return {
        status: 200,
        body: { data: pick(state.brand, USER_DEFAULTS, listParam(query, "user.fields")) },
      };
    },
  },
  {
    route: X_ROUTES.mentions,
    method: "GET",
    pattern: /^\/2\/users\/(\d+)\/mentions$/,
    handle({ query, pathParams, state }) {
      checkParams(query, [...TIMELINE_PARAMS, "pagination_token"]);
      const size = maxResults(query, 5, 100, 10);
      const all = state.mentionsOf(pathParams[0]!);
      const page = paginate(all, {
        sinceId: query.get("since_id"),
        token: query.get("pagination_token"),
        size,
      });
      return { status: 200, body: timeline(page, state, query) };
    },
  },
  {
    route: X_ROUTES.search,
    method: "GET",
    pattern: /^\/2\/tweets\/search\/recent$/,
    handle({ query, state }) {
      checkParams(query, [...TIMELINE_PARAMS, "query", "next_token", "pagination_token", "sort_order"]);
      const q = query.get("query");
      if (!q) throw invalidRequest("query", "", "The `query` query parameter can not be empty");
      const size = maxResults(query, 10, 100, 10);
      const token = query.get("next_token") ?? query.get("pagination_token");
      const page = paginate(state.search(q), { sinceId: query.get("since_id"), token, size });
      return { status: 200, body: timeline(page, state, query) };
    },
  },
  {
    route: X_ROUTES.dmEvents,
    method: "GET",
    pattern: /^\/2\/dm_events$/,
    handle({ query, state }) {
      checkParams(query, [
        "dm_event.fields",
        "event_types",
        "expansions",
        "max_results",
        "pagination_token",
        "media.fields",
        "tweet.fields",
        "user.fields",
      ]);
      const size = maxResults(query, 1, 100, 100);
      const types = listParam(query, "event_types");
      const mine = state.dmEvents
        .filter((e) => e.participant_ids.includes(state.brand.id))
        .filter((e) => types.length === 0 || types.includes(e.event_type))
        .reverse();
      const page = paginate(mine, { token: query.get("pagination_token"), size });
      const meta = {
        result_count: page.items.length,
        ...(page.nextToken ? { next_token: page.nextToken } : {}),
      };
      if (page.items.length === 0) return { status: 200, body: { meta } };
      const expand = listParam(query, "expansions").includes("sender_id");
      const fields = [...listParam(query, "dm_event.fields"), ...(expand ? ["sender_id"] : [])];
      const data = page.items.map((e) => pick<XDmEvent>(e, ["id", "event_type", "text"], fields));
      const includes = expand
        ? {
            users: users(
              state,
              page.items.map((e) => e.sender_id),
              query,
            ),
          }
        : undefined;
      return { status: 200, body: { data, ...(includes ? { includes } : {}), meta } };
    },
  },
  {
    route: X_ROUTES.tweet,
    method: "POST",
    pattern: /^\/2\/tweets$/,
    handle({ body, state, posted }) {
      const input = bodyObject(body);
      const text = input.text;
      if (typeof text !== "string" || text.trim() === "") {
        throw invalidRequest("text", String(text), "The `text` field must be a non-empty string");
      }
      if ([...text].length > TWEET_LIMIT) {
        throw problem(403, "You are not permitted to create a Tweet longer than 280 characters.");
      }
      if (posted.some((t) => t.text === text)) {
        throw problem(403, "You are not allowed to create a Tweet with duplicate content.");
      }
      const reply = input.reply as { in_reply_to_tweet_id?: unknown } | undefined;
      const parentId = reply?.in_reply_to_tweet_id;
      if (parentId !== undefined && !state.tweets.some((t) => t.id === parentId)) {
        throw problem(403, "You attempted to reply to a Tweet that is deleted or not visible to you.");
      }
      const tweet = state.addTweet(state.brand, {
        text,
        ...(typeof parentId === "string" ? { inReplyToTweetId: parentId } : {}),
      });
      posted.push(tweet);
      return {
        status: 201,
        body: {
          data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: tweet.edit_history_tweet_ids },
        },
      };
    },
  },
  {
    route: X_ROUTES.dm,
    method: "POST",
    pattern: /^\/2\/dm_conversations\/with\/(\d+)\/messages$/,
    handle({ body, pathParams, state, sentDms }) {
      const input = bodyObject(body);
      if (typeof input.text !== "string" || input.text === "") {
        throw invalidRequest("text", String(input.text), "The `text` field must be a non-empty string");
      }
      const recipient = state.users.get(pathParams[0]!);
      if (!recipient || recipient.id === state.brand.id) {
        throw problem(403, "You cannot send messages to this user.");
      }
      const event = state.addDmEvent(state.brand, recipient, input.text);
      sentDms.push({
        participantId: recipient.id,
        text: input.text,
        dmEventId: event.id,
        dmConversationId: event.dm_conversation_id,
      });
      return {
        status: 201,
        body: { data: { dm_conversation_id: event.dm_conversation_id, dm_event_id: event.id } },
      };
    },
  },
];
