import { timingSafeEqual } from "node:crypto";
import { hmacSha256 } from "../lib/signature.ts";

/** How long a double opt-in link works, in ms: 7 days. */
export const CONFIRM_TTL_MS = 7 * 24 * 60 * 60_000;
/** The path prefix of confirm links: `${PUBLIC_URL}/confirm/<token>`. */
export const CONFIRM_PATH = "/confirm/";

/** What a confirm link is for: one customer's email consent, at the address the link was sent to. */
export interface ConfirmLink {
  customerId: string;
  /** The channel the consent is for. Always email: the link proves the inbox it went to. */
  channel: "email";
  /** The address the link was sent to, lower-cased. */
  address: string;
  /** When the link was sent; it works for {@link CONFIRM_TTL_MS} after. */
  sentAt: Date;
}

const VERSION = 1;
const UUID_BYTES = 16;
const TIME_BYTES = 4;
const DIGEST_BYTES = 8;
const MAC_BYTES = 16;
const PAYLOAD_BYTES = 1 + UUID_BYTES + TIME_BYTES + DIGEST_BYTES;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function mac(secret: string, payload: Buffer): Buffer {
  // the prefix keeps these MACs apart from the unsubscribe links signed with the same secret
  const signed = Buffer.concat([Buffer.from("rapport-double-opt-in\n"), payload]);
  return Buffer.from(hmacSha256(secret, signed), "hex").subarray(0, MAC_BYTES);
}

/**
 * The address as the link carries it: 64 bits of its keyed digest. A link stays short enough for any mail
 * client and URL limit (Fastify's 100-character path parameters), and still names exactly one address.
 */
export function addressDigest(secret: string, address: string): string {
  return hmacSha256(secret, `rapport-double-opt-in-address\n${address}`).slice(0, DIGEST_BYTES * 2);
}

/**
 * A URL-safe token naming the customer, the address (by its digest) and the time it was sent (seconds),
 * signed with HMAC-SHA256 truncated to 128 bits: 60 characters, and nobody without `secret` can make or change
 * one.
 */
export function confirmToken(secret: string, link: ConfirmLink): string {
  if (!UUID.test(link.customerId)) throw new TypeError(`customerId must be a UUID, got "${link.customerId}"`);
  const payload = Buffer.alloc(PAYLOAD_BYTES);
  payload[0] = VERSION;
  Buffer.from(link.customerId.replace(/-/g, ""), "hex").copy(payload, 1);
  payload.writeUInt32BE(Math.floor(link.sentAt.getTime() / 1000), 1 + UUID_BYTES);
  Buffer.from(addressDigest(secret, link.address), "hex").copy(payload, 1 + UUID_BYTES + TIME_BYTES);
  return Buffer.concat([payload, mac(secret, payload)]).toString("base64url");
}

/** A verified token: the customer, when it was sent, and the digest of the address it was sent to. */
export interface ConfirmTokenContent {
  customerId: string;
  channel: "email";
  /** {@link addressDigest} of the address: compared with the customer's addresses to find it. */
  addressDigest: string;
  sentAt: Date;
}

/** What reading a token found: its content, one that was sent more than 7 days ago, or one that is not ours. */
export type ReadConfirmToken = { kind: "valid"; token: ConfirmTokenContent } | { kind: "expired" | "broken" };

/** Reads a token made by {@link confirmToken}: its signature first, then its age against `now`. */
export function readConfirmToken(secret: string, token: string, now: Date): ReadConfirmToken {
  if (!/^[A-Za-z0-9_-]{60}$/.test(token)) return { kind: "broken" };
  const bytes = Buffer.from(token, "base64url");
  if (bytes.length !== PAYLOAD_BYTES + MAC_BYTES || bytes.toString("base64url") !== token)
    return { kind: "broken" };
  const payload = bytes.subarray(0, PAYLOAD_BYTES);
  if (!timingSafeEqual(bytes.subarray(PAYLOAD_BYTES), mac(secret, payload))) return { kind: "broken" };
  if (payload[0] !== VERSION) return { kind: "broken" };
  const hex = payload.subarray(1, 1 + UUID_BYTES).toString("hex");
  const customerId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const sentAt = new Date(payload.readUInt32BE(1 + UUID_BYTES) * 1000);
  if (now.getTime() - sentAt.getTime() > CONFIRM_TTL_MS) return { kind: "expired" };
  const digest = payload.subarray(1 + UUID_BYTES + TIME_BYTES).toString("hex");
  return { kind: "valid", token: { customerId, channel: "email", addressDigest: digest, sentAt } };
}

/** The link to put in the email: `${publicUrl}/confirm/<token>`. */
export function confirmUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}${CONFIRM_PATH}${token}`;
}
