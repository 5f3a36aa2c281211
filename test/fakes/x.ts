import type { IncomingMessage, ServerResponse } from "node:http";
import { dropConnection, parseJson, readText, startLocalServer } from "./http.ts";
import { type XFailure, XLimits, type XRateLimit, type XRoute } from "./x-limits.ts";
import { verifyOAuth1, type XCredentials } from "./x-oauth.ts";
import { ROUTES, type SentXDm } from "./x-routes.ts";
import {
  type XDirectMessageInput,
  type XDmEvent,
  XState,
  type XTweet,
  type XTweetInput,
  type XUser,
} from "./x-state.ts";
import { invalidRequest, problem, XProblem } from "./x-wire.ts";

export { X_ROUTES, type XFailure, type XRateLimit, type XRoute } from "./x-limits.ts";
export type { XCredentials } from "./x-oauth.ts";
export type { SentXDm } from "./x-routes.ts";
export type { XDirectMessageInput, XDmEvent, XTweet, XTweetInput, XUser } from "./x-state.ts";

/** Credentials the fake accepts unless told otherwise. The access token is the brand's, as on X. */
export const FAKE_X_CREDENTIALS: XCredentials = {
  appKey: "fake-x-app-key",
  appSecret: "fake-x-app-secret",
  accessToken: "1500000000000000001-fakeaccesstoken",
  accessSecret: "fake-x-access-secret",
};

/** Options for {@link startFakeX}. */
export interface FakeXOptions {
  /** Clock in ms for `created_at` and rate-limit windows. Defaults to `Date.now`. */
  now?: () => number;
  /** The only OAuth 1.0a credentials accepted. Defaults to {@link FAKE_X_CREDENTIALS}. */
  credentials?: XCredentials;
  /** The brand account the access token belongs to. Defaults to @rapport_brand, id 1500000000000000001. */
  brand?: { id: string; username: string; name?: string };
}

/** One request the fake received. */
export interface XCall {
  route: XRoute | "unknown";
  method: string;
  path: string;
  /** Query parameters, decoded. */
  query: Record<string, string>;
  /** The parsed JSON body of a POST. */
  body: unknown;
  /** When it arrived, on the fake's clock, in ms. */
  at: number;
  /** HTTP status answered; 0 while in flight, -1 when the connection was cut. */
  status: number;
}

/** A running fake X API v2 (api.x.com) on 127.0.0.1. */
export interface FakeX {
  /** Pass as `createXClient({ apiRoot })`. */
  readonly apiRoot: string;
  readonly brand: { id: string; username: string; name: string };
  readonly credentials: XCredentials;
  /** Every request, in arrival order. */
  readonly calls: XCall[];
  /** Posts the brand created through `POST /2/tweets`, in order. */
  readonly tweets: XTweet[];
  /** DMs the brand sent, in order. */
  readonly dms: SentXDm[];
  /** The calls of one route. */
  callsTo(route: XRoute): XCall[];
  /** A user posts a tweet mentioning the brand ("@brand " is prefixed unless the text mentions it). */
  addMention(input: XTweetInput): XTweet;
  /** A user sends the brand a DM. */
  addDirectMessage(input: XDirectMessageInput): XDmEvent;
  /** A user posts a public tweet, found by `search/recent` when it matches the query. */
  addSearchResult(input: XTweetInput): XTweet;
  /** Makes the next call(s) of a route fail. */
  failNext(route: XRoute, failure: XFailure): void;
  /** Sets a route's rate-limit window, as if other calls had used it. */
  setRateLimit(route: XRoute, limit: XRateLimit): void;
  close(): Promise<void>;
}

function sendProblem(res: ServerResponse, error: XProblem, headers: Record<string, string>): void {
  const payload = JSON.stringify(error.body);
  res.writeHead(error.status, {
    ...headers,
    ...error.headers,
    "content-type": "application/problem+json",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

/** Starts a fake X API v2 on 127.0.0.1 that speaks X's wire format, rate-limit headers and OAuth 1.0a. */
export async function startFakeX(options: FakeXOptions = {}): Promise<FakeX> {
  const now = options.now ?? Date.now;
  const credentials = options.credentials ?? FAKE_X_CREDENTIALS;
  const brandInput = options.brand ?? {
    id: "1500000000000000001",
    username: "rapport_brand",
    name: "Rapport",
  };
  const brandUser: XUser = {
    id: brandInput.id,
    username: brandInput.username,
    name: brandInput.name ?? brandInput.username,
    profile_image_url: `https://pbs.twimg.com/profile_images/${brandInput.id}/brand_normal.jpg`,
    created_at: "2019-01-01T00:00:00.000Z",
    verified: true,
  };
  const state = new XState(brandUser, now);
  const limits = new XLimits(now);
  const calls: XCall[] = [];
  const tweets: XTweet[] = [];
  const dms: SentXDm[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const text = await readText(req);
    const parsed = parseJson(text);
    const call: XCall = {
      route: "unknown",
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parsed.ok ? parsed.value : text,
      at: now(),
      status: 0,
    };
    calls.push(call);
    const definition = ROUTES.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    if (!definition) {
      call.status = 404;
      return sendProblem(res, problem(404, `No route for ${req.method} ${url.pathname}`), {});
    }
    call.route = definition.route;
    const refused = verifyOAuth1(req, url, undefined, credentials);
    if (refused) {
      call.status = 401;
      return sendProblem(res, problem(401, "Unauthorized"), {});
    }
    const failure = limits.nextFailure(definition.route);
    if (failure?.dropConnection) {
      call.status = -1;
      return dropConnection(res);
    }
    if (failure) {
      call.status = failure.status;
      return sendProblem(res, problem(failure.status, failure.detail), limits.headers(definition.route));
    }
    const taken = limits.take(definition.route);
    if (!taken.allowed) {
      call.status = 429;
      return sendProblem(res, problem(429), taken.headers);
    }
    try {
      if (!parsed.ok) throw invalidRequest("body", text.slice(0, 100), `Malformed JSON: ${parsed.reason}`);
      const pathParams = definition.pattern.exec(url.pathname)!.slice(1);
      const result = definition.handle({
        query: url.searchParams,
        pathParams,
        body: parsed.value,
        state,
        posted: tweets,
        sentDms: dms,
      });
      const payload = JSON.stringify(result.body);
      res.writeHead(result.status, {
        ...taken.headers,
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(payload),
      });
      res.end(payload);
      call.status = result.status;
    } catch (error) {
      if (!(error instanceof XProblem)) throw error;
      call.status = error.status;
      sendProblem(res, error, taken.headers);
    }
  }

  const local = await startLocalServer(handle);
  const author = (input: XTweetInput | XDirectMessageInput) => state.user(input);
  return {
    apiRoot: local.url,
    brand: { id: brandUser.id, username: brandUser.username, name: brandUser.name },
    credentials,
    calls,
    tweets,
    dms,
    callsTo: (route) => calls.filter((c) => c.route === route),
    addMention(input) {
      const mentioned = new RegExp(`@${brandUser.username}\\b`, "i").test(input.text);
      const text = mentioned ? input.text : `@${brandUser.username} ${input.text}`;
      return state.addTweet(author(input), { ...input, text });
    },
    addDirectMessage: (input) => state.addDmEvent(author(input), brandUser, input.text, input.createdAt),
    addSearchResult: (input) => state.addTweet(author(input), input),
    failNext: (route, failure) => limits.failNext(route, failure),
    setRateLimit: (route, limit) => limits.set(route, limit),
    close: () => local.close(),
  };
}
