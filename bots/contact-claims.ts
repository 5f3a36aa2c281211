import type { Db, Prisma } from "../lib/db/index.ts";
import { survivorOf } from "./merge.ts";

/** What kind of contact a claim is. */
export type ContactKind = "email" | "phone";

/** Where a claim was made: each is a contact someone typed or showed, not one they proved. */
export type ClaimSource = "webchat_identify" | "webchat_subscribe" | "chat_message" | "telegram_contact";

/** A contact as someone gave it, with where it came from. */
export interface Claim {
  kind: ContactKind;
  /** An email address (lower-cased here) or an E.164 phone number. */
  value: string;
  source: ClaimSource;
  /** What was seen: the channel, the message id. Kept for staff deciding on a merge. */
  evidence?: Prisma.InputJsonObject;
}

/** Normalises a claimed value: email addresses are compared lower-cased and trimmed. */
export function claimValue(kind: ContactKind, value: string): string {
  return kind === "email" ? value.trim().toLowerCase() : value.trim();
}

/**
 * Records a contact a customer gave without proof, on that customer (their survivor, if merged) and nowhere
 * else: it never merges them into another customer, never fills `Customer.email`/`phone` (which would block
 * the address's real owner and make campaigns write to an unproven address) and never adds an Identity. The
 * same claim twice is one row, the first source kept.
 * @returns the claim's id.
 */
export async function claimContact(db: Db, customerId: string, claim: Claim): Promise<string> {
  const owner = await survivorOf(db, customerId);
  const value = claimValue(claim.kind, claim.value);
  const row = await db.contactClaim.upsert({
    where: { customerId_kind_value: { customerId: owner, kind: claim.kind, value } },
    create: {
      customerId: owner,
      kind: claim.kind,
      value,
      source: claim.source,
      evidence: claim.evidence ?? {},
    },
    update: {},
    select: { id: true },
  });
  return row.id;
}
