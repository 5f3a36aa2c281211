import { timingSafeEqual } from "node:crypto";
import type { SendingChannelName } from "../../lib/channels.ts";
import { hmacSha256 } from "../../lib/signature.ts";

/** Who an unsubscribe link is for: one customer on one channel, and the message it came in. */
export interface UnsubscribeTarget {
  customerId: string;
  channel: SendingChannelName;
  /** The Delivery whose message carried the link: kept for the audit trail. */
  deliveryId?: string;
}

/** The path prefix of unsubscribe links: `${PUBLIC_URL}/u/<token>`. */
export const UNSUBSCRIBE_PATH = "/u/";

// Codes are part of every link already sent: never renumber, only add.
const CHANNEL_CODES: Record<SendingChannelName, number> = {
  email: 1,
  telegram: 2,
  discord: 3,
  x: 4,
  webchat: 5,
  whatsapp: 6,
  sms: 7,
};
const VERSION = 1;
const UUID_BYTES = 16;
const MAC_BYTES = 16;
const HEAD_BYTES = 2 + UUID_BYTES;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidBytes(id: string, what: string): Buffer {
  if (!UUID.test(id)) throw new TypeError(`${what} must be a UUID, got "${id}"`);
  return Buffer.from(id.replace(/-/g, ""), "hex");
}

function uuidText(bytes: Buffer): string {
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function mac(secret: string, payload: Buffer): Buffer {
  // the prefix keeps these MACs apart from anything else the same secret might ever sign
  const signed = Buffer.concat([Buffer.from("rapport-unsubscribe\n"), payload]);
  return Buffer.from(hmacSha256(secret, signed), "hex").subarray(0, MAC_BYTES);
}

/**
 * A compact, URL-safe token naming a customer and channel (and the delivery), signed with HMAC-SHA256
 * (truncated to 128 bits): 46 characters, or 67 with a delivery id. It never expires, and nobody without
 * `secret` can make one, so a link only ever unsubscribes the customer it was made for.
 */
export function unsubscribeToken(secret: string, target: UnsubscribeTarget): string {
  const parts = [
    Buffer.from([VERSION, CHANNEL_CODES[target.channel]]),
    uuidBytes(target.customerId, "customerId"),
  ];
  if (target.deliveryId !== undefined) parts.push(uuidBytes(target.deliveryId, "deliveryId"));
  const payload = Buffer.concat(parts);
  return Buffer.concat([payload, mac(secret, payload)]).toString("base64url");
}

/** Reads a token made by {@link unsubscribeToken}; `undefined` when it is malformed or its signature is wrong. */
export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeTarget | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) return undefined;
  const bytes = Buffer.from(token, "base64url");
  if (bytes.toString("base64url") !== token) return undefined;
  if (bytes.length !== HEAD_BYTES + MAC_BYTES && bytes.length !== HEAD_BYTES + UUID_BYTES + MAC_BYTES) {
    return undefined;
  }
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  if (!timingSafeEqual(bytes.subarray(payload.length), mac(secret, payload))) return undefined;
  const channel = (Object.keys(CHANNEL_CODES) as SendingChannelName[]).find(
    (c) => CHANNEL_CODES[c] === payload[1],
  );
  if (payload[0] !== VERSION || channel === undefined) return undefined;
  const target: UnsubscribeTarget = { customerId: uuidText(payload.subarray(2, HEAD_BYTES)), channel };
  if (payload.length > HEAD_BYTES) target.deliveryId = uuidText(payload.subarray(HEAD_BYTES));
  return target;
}

/** The link to put in a message: `${publicUrl}/u/<token>`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}${UNSUBSCRIBE_PATH}${token}`;
}

/**
 * The headers that give mail clients their own "Unsubscribe" button (RFC 2369) working in one click without
 * opening a page (RFC 8058; Gmail and Yahoo require both from bulk senders): `List-Unsubscribe` with the link
 * (and a `mailto:` address when given) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
 */
export function unsubscribeHeaders(url: string, mailto?: string): Record<string, string> {
  const targets = [`<${url}>`];
  if (mailto)
    targets.push(`<${mailto.startsWith("mailto:") ? mailto : `mailto:${mailto}?subject=unsubscribe`}>`);
  return { "List-Unsubscribe": targets.join(", "), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
}
