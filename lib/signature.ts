import { createHmac, timingSafeEqual } from "node:crypto";

/** The header value for a body: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Checks a `sha256=<hex>` signature of a raw body in constant time. */
export function verifyBodySignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
