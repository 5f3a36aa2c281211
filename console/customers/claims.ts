import { type Db, Prisma } from "../../lib/db/index.ts";

/** An unverified contact on a customer, and the other customers whose proven contact it is. */
export interface UnverifiedContact {
  id: string;
  kind: "email" | "phone";
  value: string;
  source: string;
  createdAt: Date;
  /** Live customers holding or claiming this address or number: possibly the same person. */
  possibleOwners: Array<{ id: string; name: string | null; email: string | null; phone: string | null }>;
}

/**
 * The customer's unverified contacts (`ContactClaim`, written by the bots: see bots/identity.ts), newest
 * first, each with the other live customers who hold that contact (`Customer.email`/`phone`, an email
 * Identity) or claimed it too: what the console shows as "unverified" and "possibly the same person as …",
 * for staff to merge after checking. A contact the customer now holds themselves is left out.
 */
export async function unverifiedContacts(db: Db, customerId: string): Promise<UnverifiedContact[]> {
  // the claims with the customer's own email and phone, in one statement (the customer panel waits for it)
  const claims = await db.$queryRaw<ClaimRow[]>(claimRowsSql(customerId));
  return withPossibleOwners(db, customerId, claims);
}

/** A claim as {@link claimRowsSql} reads it. */
export interface ClaimRow {
  id: string;
  kind: string;
  value: string;
  source: string;
  createdAt: Date;
  ownEmail: string | null;
  ownPhone: string | null;
}

/** The customer's unverified claims (newest first, at most 20) with their own email and phone, in one statement. */
export function claimRowsSql(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT cc.id::text, cc.kind, cc.value, cc.source, cc."createdAt", c.email AS "ownEmail", c.phone AS "ownPhone"
    FROM "ContactClaim" cc JOIN "Customer" c ON c.id = cc."customerId"
    WHERE cc."customerId" = ${customerId}::uuid AND cc."verifiedAt" IS NULL
    ORDER BY cc."createdAt" DESC LIMIT 20`;
}

/**
 * The claims the customer does not hold themselves, each with the other live customers who hold or claimed the
 * same contact: one statement per such claim (rarely any).
 */
export function withPossibleOwners(
  db: Db,
  customerId: string,
  claims: readonly ClaimRow[],
): Promise<UnverifiedContact[]> {
  const open = claims.filter((c) => c.value !== (c.kind === "email" ? c.ownEmail : c.ownPhone));
  return Promise.all(
    open.map(async (claim) => {
      const claimedToo = { contactClaims: { some: { kind: claim.kind, value: claim.value } } };
      const where =
        claim.kind === "email"
          ? {
              OR: [
                { email: claim.value },
                { identities: { some: { channel: "email" as const, externalId: claim.value } } },
                claimedToo,
              ],
            }
          : { OR: [{ phone: claim.value }, claimedToo] };
      const owners = await db.customer.findMany({
        where: { ...where, mergedIntoId: null, id: { not: customerId } },
        select: { id: true, name: true, email: true, phone: true },
        take: 5,
      });
      return {
        id: claim.id,
        kind: claim.kind as UnverifiedContact["kind"],
        value: claim.value,
        source: claim.source,
        createdAt: claim.createdAt,
        possibleOwners: owners,
      };
    }),
  );
}
