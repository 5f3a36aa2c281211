import { type Db, Prisma } from "../../lib/db/index.ts";

/** A product the customer may buy next, and how many customers like them bought it. */
export interface Suggestion {
  sku: string;
  name: string | null;
  /** Customers who bought one of this customer's products and this one. */
  customers: number;
}

/** Co-buyers considered, most recent first: keeps a best-seller's thousands of buyers to one quick query. */
const PEERS = 5_000;

/**
 * "Likely next purchase": the SKUs most often bought by customers who bought any of the SKUs this customer
 * bought, leaving out what they already have, top `limit` (default 3) with how many such customers bought
 * each. One query, on the Purchase (sku) and (customerId, occurredAt) indexes.
 */
export async function likelyNextPurchases(db: Db, customerId: string, limit = 3): Promise<Suggestion[]> {
  return db.$queryRaw<Suggestion[]>(Prisma.sql`
    WITH mine AS (
      SELECT DISTINCT sku FROM "Purchase" WHERE "customerId" = ${customerId}::uuid
    ), peers AS (
      SELECT p."customerId" FROM "Purchase" p JOIN mine ON mine.sku = p.sku
      WHERE p."customerId" <> ${customerId}::uuid
      GROUP BY p."customerId" ORDER BY max(p."occurredAt") DESC LIMIT ${PEERS}
    )
    SELECT p.sku, max(p.name) AS name, count(DISTINCT p."customerId")::int AS customers
    FROM "Purchase" p
    -- an array, not a join: the planner then reads the peers' rows by index instead of the whole table
    WHERE p."customerId" = ANY(ARRAY(SELECT "customerId" FROM peers)) AND p.sku NOT IN (SELECT sku FROM mine)
    GROUP BY p.sku
    ORDER BY customers DESC, p.sku
    LIMIT ${limit}`);
}
