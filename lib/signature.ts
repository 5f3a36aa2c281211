import { createHmac, timingSafeEqual } from "node:crypto";

/** HMAC-SHA256 of a body, as hex (our own signatures) or base64 (Shopify, WooCommerce). */
export function hmacSha256(
  secret: string,
  body: string | Buffer,
  encoding: "hex" | "base64" = "hex",
): string {
  return createHmac("sha256", secret).update(body).digest(encoding);
}

/** Checks a header holding the HMAC-SHA256 of a raw body, in constant time. */
export function verifyHmac(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
  encoding: "hex" | "base64",
  prefix = "",
): boolean {
  if (!header) return false;
  const expected = Buffer.from(`${prefix}${hmacSha256(secret, body, encoding)}`);
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The `X-Rapport-Signature` value for a body: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${hmacSha256(secret, body)}`;
}

/** Checks an `X-Rapport-Signature` (`sha256=<hex>`) of a raw body in constant time. */
export function verifyBodySignature(
  secret: string,
  body: string | Buffer,
  header: string | undefined,
): boolean {
  return verifyHmac(secret, body, header, "hex", "sha256=");
}
