import { engagementField, RESPONDS_ON_SQL } from "../../campaigns/index.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";

const DAY_MS = 86_400_000;

/** What the profile's RFM and engagement section shows: the segment DSL's own numbers for this customer. */
export interface CustomerRfmSection {
  /** CustomerRfm as the last refresh left it; null before one, or for a customer who never bought. */
  rfm: {
    segment: string;
    recency: number | null;
    frequency: number | null;
    monetary: number | null;
    computedAt: Date;
  } | null;
  /** `opened(30d)`, `clicked(30d)`, `replied(30d)`, `converted(90d)` and `responds_on`, at `now`. */
  engagement: {
    opened: number;
    clicked: number;
    replied: number;
    converted: number;
    respondsOn: string | null;
  };
}

/** The RFM row and engagement counts of one customer, read with the very SQL of segments at `now`. */
export async function customerRfmSection(db: Db, customerId: string, now: Date): Promise<CustomerRfmSection> {
  const count = (metric: "opened" | "clicked" | "replied" | "converted", days: number) =>
    engagementField(metric, days * DAY_MS).sqlAt!(now);
  const [row] = await db.$queryRaw<Array<CustomerRfmSection["engagement"]>>(Prisma.sql`
    SELECT ${count("opened", 30)}::int AS opened, ${count("clicked", 30)}::int AS clicked,
      ${count("replied", 30)}::int AS replied, ${count("converted", 90)}::int AS converted,
      ${RESPONDS_ON_SQL} AS "respondsOn"
    FROM "Customer" c WHERE c.id = ${customerId}::uuid`);
  const rfm = await db.customerRfm.findUnique({
    where: { customerId },
    select: { segment: true, recency: true, frequency: true, monetary: true, computedAt: true },
  });
  return {
    rfm,
    engagement: row ?? { opened: 0, clicked: 0, replied: 0, converted: 0, respondsOn: null },
  };
}
