import { randomInt } from "node:crypto";
import type { ChannelName } from "../lib/channels.ts";
import type { Db } from "../lib/db/index.ts";
import { mergeCustomers } from "./merge.ts";

/** How long a link code stays valid. */
export const LINK_CODE_TTL_MS = 10 * 60_000;
// no 0/O, 1/I/L: a code read off one screen and typed on another must survive the trip
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/** Issues a short one-time code that, entered on another platform, joins that identity to this customer. */
export async function issueLinkCode(
  db: Db,
  customerId: string,
  channel: ChannelName,
  now: Date,
): Promise<string> {
  for (;;) {
    const code = Array.from({ length: 6 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    const created = await db.linkCode.createMany({
      data: [{ code, customerId, channel, expiresAt: new Date(now.getTime() + LINK_CODE_TTL_MS) }],
      skipDuplicates: true,
    });
    if (created.count === 1) return code;
  }
}

/** What redeeming a code did. */
export type LinkResult = { kind: "linked"; customerId: string } | { kind: "invalid" };

/**
 * Redeems a code for the customer who entered it: the two customers become one (the older survives). A code
 * works once, before it expires; entering your own code again is harmless.
 */
export async function redeemLinkCode(
  db: Db,
  code: string,
  customerId: string,
  now: Date,
): Promise<LinkResult> {
  const claimed = await db.linkCode.updateMany({
    where: { code: code.toUpperCase(), usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now, usedByCustomerId: customerId },
  });
  if (claimed.count === 0) return { kind: "invalid" };
  const link = await db.linkCode.findUniqueOrThrow({ where: { code: code.toUpperCase() } });
  const merged = await mergeCustomers(db, link.customerId, customerId, {
    reason: "link_code",
    actorType: "customer",
  });
  return { kind: "linked", customerId: merged.survivorId };
}
