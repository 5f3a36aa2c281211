import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The four OAuth 1.0a user-context credentials of an X app acting as the brand account. */
export interface XCredentials {
  appKey: string;
  appSecret: string;
  accessToken: string;
  accessSecret: string;
}

/** RFC 3986 percent-encoding, as OAuth 1.0a requires (stricter than encodeURIComponent). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The `oauth_*` parameters of an `Authorization: OAuth …` header, or undefined for another scheme. */
function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header?.startsWith("OAuth ")) return undefined;
  const params = new Map<string, string>();
  for (const match of header.slice(6).matchAll(/([\w.-]+)="([^"]*)"/g)) {
    params.set(decodeURIComponent(match[1]!), decodeURIComponent(match[2]!));
  }
  return params;
}

/**
 * Checks an OAuth 1.0a HMAC-SHA1 signature the way X does (RFC 5849 §3.4): method, base URL and the sorted
 * query, form-body and oauth parameters, signed with the app secret and the access-token secret. Returns why
 * the request is refused, or undefined when it is signed by `credentials`.
 */
export function verifyOAuth1(
  req: IncomingMessage,
  url: URL,
  formBody: URLSearchParams | undefined,
  credentials: XCredentials,
): string | undefined {
  const oauth = parseOAuthHeader(req.headers.authorization);
  if (!oauth) return "missing OAuth 1.0a Authorization header";
  if (oauth.get("oauth_signature_method") !== "HMAC-SHA1") return "unsupported oauth_signature_method";
  if (oauth.get("oauth_consumer_key") !== credentials.appKey) return "unknown oauth_consumer_key";
  if (oauth.get("oauth_token") !== credentials.accessToken) return "unknown oauth_token";
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of oauth)
    if (key !== "oauth_signature" && key !== "realm") pairs.push([key, value]);
  for (const [key, value] of url.searchParams) pairs.push([key, value]);
  for (const [key, value] of formBody ?? []) pairs.push([key, value]);
  const normalized = pairs
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : 1) : ak < bk ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const baseUrl = `${url.protocol}//${url.host}${url.pathname}`;
  const base = [req.method?.toUpperCase() ?? "GET", encode(baseUrl), encode(normalized)].join("&");
  const key = `${encode(credentials.appSecret)}&${encode(credentials.accessSecret)}`;
  const expected = Buffer.from(createHmac("sha1", key).update(base).digest("base64"));
  const given = Buffer.from(oauth.get("oauth_signature") ?? "");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "invalid oauth_signature";
  return undefined;
}
