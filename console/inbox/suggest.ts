import { type Db, Prisma } from "../../lib/db/index.ts";

/** A product the customer may buy next, and how many customers like them bought it. */
export interface Suggestion {
  sku: string;
  name: string | null;
  /** Customers who bought one of this customer's products and this one. */
  customers: number;
}

/** The latest buyers of each of the customer's products who are considered as co-buyers. */
const BUYERS_PER_PRODUCT = 100;
/** Co-buyers considered, most recent first: keeps a best-seller's thousands of buyers to one quick query. */
const PEERS = 200;

/**
 * "Likely next purchase": the SKUs most often bought by customers who recently bought any of the SKUs this
 * customer bought, leaving out what they already have, top `limit` (default 3) with how many such customers
 * bought each. One query: the latest buyers of each product come from the Purchase (sku, occurredAt DESC)
 * index (a LATERAL per product, so a best-seller's 100 000 buyers are never read), their purchases from
 * (customerId, occurredAt). At 100 000 customers and 400 000 purchase lines: 345 ms with a scan of every
 * purchase of the same products; ~10 ms with 100 buyers a product and 200 co-buyers (bench/console.ts).
 */
export async function likelyNextPurchases(db: Db, customerId: string, limit = 3): Promise<Suggestion[]> {
  return db.$queryRaw<Suggestion[]>(likelyNextPurchasesSql(customerId, limit));
}

/** The statement of {@link likelyNextPurchases}, for a caller that reads it with others in one statement. */
export function likelyNextPurchasesSql(customerId: string, limit = 3): Prisma.Sql {
  return Prisma.sql`
    WITH mine AS (
      SELECT DISTINCT sku FROM "Purchase" WHERE "customerId" = ${customerId}::uuid
    ), recent AS (
      SELECT r."customerId", r."occurredAt" FROM mine CROSS JOIN LATERAL (
        SELECT p."customerId", p."occurredAt" FROM "Purchase" p
        WHERE p.sku = mine.sku AND p."customerId" <> ${customerId}::uuid
        ORDER BY p."occurredAt" DESC LIMIT ${BUYERS_PER_PRODUCT}) r
    ), peers AS (
      SELECT "customerId" FROM recent GROUP BY "customerId" ORDER BY max("occurredAt") DESC LIMIT ${PEERS}
    )
    SELECT p.sku, max(p.name) AS name, count(DISTINCT p."customerId")::int AS customers
    FROM "Purchase" p
    -- an array, not a join: the planner then reads the peers' rows by index instead of the whole table
    WHERE p."customerId" = ANY(ARRAY(SELECT "customerId" FROM peers)) AND p.sku NOT IN (SELECT sku FROM mine)
    GROUP BY p.sku
    ORDER BY customers DESC, p.sku
    LIMIT ${limit}`;
}
