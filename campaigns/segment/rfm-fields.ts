import { Prisma } from "../../lib/db/index.ts";
import type { ScalarField } from "./fields.ts";
import { RFM_SEGMENTS } from "./rfm-map.ts";

function rfmColumn(column: string): Prisma.Sql {
  return Prisma.sql`(SELECT r.${Prisma.raw(`"${column}"`)} FROM "CustomerRfm" r WHERE r."customerId" = c.id)`;
}

/** `rfm.recency`, `rfm.frequency`, `rfm.monetary` (1–5) and `rfm.segment`: CustomerRfm as the last refresh left it. */
export const RFM_FIELDS: readonly ScalarField[] = [
  {
    name: "rfm.recency",
    type: "number",
    nullable: true,
    fact: "rfmRecency",
    sql: rfmColumn("recency"),
    description: "RFM recency 1–5 (5: bought most recently); null without a purchase in 365 days",
  },
  {
    name: "rfm.frequency",
    type: "number",
    nullable: true,
    fact: "rfmFrequency",
    sql: rfmColumn("frequency"),
    description: "RFM frequency 1–5 (5: most purchases in 365 days); null without a purchase in 365 days",
  },
  {
    name: "rfm.monetary",
    type: "number",
    nullable: true,
    fact: "rfmMonetary",
    sql: rfmColumn("monetary"),
    description:
      "RFM monetary 1–5 (5: most spent in 365 days, base currency); null without a purchase in 365 days",
  },
  {
    name: "rfm.segment",
    type: "text",
    nullable: true,
    fact: "rfmSegment",
    sql: rfmColumn("segment"),
    values: RFM_SEGMENTS,
    valueKind: "RFM segment",
    description: "RFM segment (champions … lost); null for a customer who never bought",
  },
];
