import { Agent } from "node:http";
import { type ITwitterApiClientPlugin, TwitterApi } from "twitter-api-v2";

/** Options for {@link createXClient}: the four OAuth 1.0a user-context credentials of the brand account. */
export interface XClientOptions {
  /** The app's API key (consumer key), `X_API_KEY`. */
  appKey: string;
  /** The app's API key secret, `X_API_SECRET`. */
  appSecret: string;
  /** The brand account's access token, `X_ACCESS_TOKEN`. */
  accessToken: string;
  /** The brand account's access token secret, `X_ACCESS_SECRET`. */
  accessSecret: string;
  /**
   * Where the X API lives, e.g. `http://127.0.0.1:4010` for a local fake or proxy. Paths ("/2/tweets") are
   * kept. Defaults to https://api.x.com.
   */
  apiRoot?: string;
}

/**
 * A plugin that sends every request to `apiRoot` instead of api.x.com. It rewrites the request before it is
 * signed, so the OAuth 1.0a signature covers the URL actually requested.
 */
function apiRootPlugin(apiRoot: string): ITwitterApiClientPlugin {
  const root = new URL(apiRoot);
  const prefix = root.pathname.replace(/\/$/, "");
  return {
    onBeforeRequestConfig({ params }) {
      const target = new URL(params.url.startsWith("http") ? params.url : `https://${params.url}`);
      params.url = `${root.origin}${prefix}${target.pathname}${target.search}`;
    },
  };
}

/**
 * A twitter-api-v2 client acting as the brand account (OAuth 1.0a user context: mentions, DMs and posting
 * need it). With `apiRoot` set, requests go there; an `http:` root needs a plain `http.Agent` because the SDK
 * always calls `https.request`, which accepts an http URL only with an http agent.
 */
export function createXClient(options: XClientOptions): TwitterApi {
  const tokens = {
    appKey: options.appKey,
    appSecret: options.appSecret,
    accessToken: options.accessToken,
    accessSecret: options.accessSecret,
  };
  if (!options.apiRoot) return new TwitterApi(tokens);
  const plain = new URL(options.apiRoot).protocol === "http:";
  return new TwitterApi(tokens, {
    plugins: [apiRootPlugin(options.apiRoot)],
    ...(plain ? { httpAgent: new Agent({ keepAlive: true }) } : {}),
  });
}
