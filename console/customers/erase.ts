import { type Db, Prisma } from "../../lib/db/index.ts";
import { recordAudit } from "../auth/audit.ts";
import type { RowCounts } from "./export.ts";
import { isUuid } from "./ids.ts";

/** What an erasure did, or why it did nothing. */
export type EraseResult =
  | { kind: "erased"; customerId: string; counts: RowCounts; suppressionsKept: number }
  | { kind: "not_found" }
  | { kind: "merged"; survivorId: string }
  /** The typed confirmation was neither the customer's email address nor their id. */
  | { kind: "not_confirmed" };

/** Whether what the staff member typed names this customer: their email address (any case) or their id. */
export function confirms(
  typed: string,
  customer: { id: string; email: string | null },
): "email" | "id" | null {
  const value = typed.trim().toLowerCase();
  if (value === "") return null;
  if (value === customer.id.toLowerCase()) return "id";
  if (customer.email && value === customer.email.toLowerCase()) return "email";
  return null;
}

const idList = (ids: readonly string[]) => Prisma.join(ids.map((id) => Prisma.sql`${id}::uuid`));

/**
 * Erases a customer (GDPR right to erasure) once the staff member has typed their email address or id: the
 * customer row, the older records merged into it, and by cascade their identities, conversations and
 * messages, events and purchase lines, deliveries, coupons and surveys; segment memberships and link codes
 * too. Suppressions of their addresses stay, detached from them, so those addresses are never mailed again.
 * One transaction; the audit row (`customer.erase`) keeps the counts of what went, never the data.
 */
export async function eraseCustomer(
  db: Db,
  customerId: string,
  typed: string,
  actor: { staffUserId: string; at: Date },
): Promise<EraseResult> {
  if (!isUuid(customerId)) return { kind: "not_found" };
  const id = customerId.toLowerCase();
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<
      Array<{ id: string; email: string | null; mergedIntoId: string | null }>
    >`
      SELECT id, email, "mergedIntoId" FROM "Customer" WHERE id = ${id}::uuid FOR UPDATE`;
    const customer = locked[0];
    if (!customer) return { kind: "not_found" as const };
    if (customer.mergedIntoId) return { kind: "merged" as const, survivorId: customer.mergedIntoId };
    const confirmedBy = confirms(typed, customer);
    if (!confirmedBy) return { kind: "not_confirmed" as const };

    // the customer and every record merged into it, however many merges deep
    const family = await tx.$queryRaw<Array<{ id: string }>>`
      WITH RECURSIVE family AS (
        SELECT id FROM "Customer" WHERE id = ${id}::uuid
        UNION SELECT c.id FROM "Customer" c JOIN family f ON c."mergedIntoId" = f.id
      ) SELECT id FROM family`;
    const ids = idList(family.map((row) => row.id));
    const [counted] = await tx.$queryRaw<RowCounts[]>(Prisma.sql`
      SELECT
        (SELECT count(*) FROM "Identity" WHERE "customerId" IN (${ids}))::int AS identities,
        (SELECT count(*) FROM "Conversation" WHERE "customerId" IN (${ids}))::int AS conversations,
        (SELECT count(*) FROM "Interaction" WHERE "customerId" IN (${ids}))::int AS interactions,
        (SELECT count(*) FROM "Event" WHERE "customerId" IN (${ids}))::int AS events,
        (SELECT count(*) FROM "Purchase" WHERE "customerId" IN (${ids}))::int AS purchases,
        (SELECT count(*) FROM "Delivery" WHERE "customerId" IN (${ids}))::int AS deliveries,
        (SELECT count(*) FROM "Coupon" WHERE "customerId" IN (${ids}))::int AS coupons,
        (SELECT count(*) FROM "Survey" WHERE "customerId" IN (${ids}))::int AS surveys,
        (SELECT count(*) FROM "SegmentMember" WHERE "customerId" IN (${ids}))::int AS segments,
        (SELECT count(*) FROM "LinkCode" WHERE "customerId" IN (${ids}))::int AS "linkCodes"`);
    const counts: RowCounts = { customers: family.length, ...counted };
    const suppressionsKept = await tx.$executeRaw(Prisma.sql`
      UPDATE "Suppression" SET "customerId" = NULL WHERE "customerId" IN (${ids})`);
    // these two have no foreign key to Customer, so nothing cascades to them
    await tx.$executeRaw(Prisma.sql`DELETE FROM "SegmentMember" WHERE "customerId" IN (${ids})`);
    await tx.$executeRaw(Prisma.sql`DELETE FROM "LinkCode" WHERE "customerId" IN (${ids})`);
    await tx.$executeRaw(Prisma.sql`
      UPDATE "LinkCode" SET "usedByCustomerId" = NULL WHERE "usedByCustomerId" IN (${ids})`);
    await tx.$executeRaw(Prisma.sql`DELETE FROM "Customer" WHERE id IN (${ids})`);
    await recordAudit(tx, {
      staffUserId: actor.staffUserId,
      action: "customer.erase",
      targetType: "Customer",
      targetId: id,
      data: { counts, suppressionsKept, confirmedBy },
      at: actor.at,
    });
    return { kind: "erased" as const, customerId: id, counts, suppressionsKept };
  });
}
