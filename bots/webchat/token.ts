import { timingSafeEqual } from "node:crypto";
import { hmacSha256 } from "../../lib/signature.ts";

/**
 * The token that proves a browser holds a visitor id this server issued: HMAC-SHA256(secret, visitorId),
 * base64url. Nobody can read another visitor's chat by guessing an id, and no token table is needed.
 */
export function visitorToken(secret: string, visitorId: string): string {
  return Buffer.from(hmacSha256(secret, `webchat:${visitorId}`), "hex").toString("base64url");
}

/** Checks a visitor token in constant time. */
export function verifyVisitorToken(secret: string, visitorId: string, token: string): boolean {
  const expected = Buffer.from(visitorToken(secret, visitorId));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
