import { Prisma } from "../../lib/db/index.ts";
import type { ScalarField } from "./fields.ts";

function touchColumn(column: string): Prisma.Sql {
  return Prisma.sql`(SELECT f.${Prisma.raw(`"${column}"`)} FROM "FirstTouch" f WHERE f."customerId" = c.id)`;
}

/**
 * `first_touch.source`, `.medium` and `.campaign`: where the customer first came from (FirstTouch, written
 * once: utm tags, the referrer's host, or what saw them first: shopify, webchat, a Telegram deep link).
 */
export const FIRST_TOUCH_FIELDS: readonly ScalarField[] = [
  {
    name: "first_touch.source",
    type: "text",
    nullable: true,
    fact: "firstTouchSource",
    sql: touchColumn("source"),
    description:
      'where the customer first came from: utm_source, the referrer\'s host, or "shopify", "webchat", …',
  },
  {
    name: "first_touch.medium",
    type: "text",
    nullable: true,
    fact: "firstTouchMedium",
    sql: touchColumn("medium"),
    description: 'the first visit\'s utm_medium ("referral" for a plain link, "deep_link" for Telegram)',
  },
  {
    name: "first_touch.campaign",
    type: "text",
    nullable: true,
    fact: "firstTouchCampaign",
    sql: touchColumn("campaign"),
    description: "the first visit's utm_campaign",
  },
];
