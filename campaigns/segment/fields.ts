import { CHANNEL_NAMES, SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { Prisma } from "../../lib/db/index.ts";
import { RESPONDS_ON_FIELD } from "./engagement.ts";
import type { SegmentFacts } from "./facts.ts";
import { FIRST_TOUCH_FIELDS } from "./first-touch-fields.ts";
import { ORDERS_SQL } from "./money-sql.ts";
import { RFM_FIELDS } from "./rfm-fields.ts";

/** A field holding one value (or null). */
export interface ScalarField {
  name: string;
  type: "number" | "date" | "text";
  /** False when the field always has a value (`orders` is 0 without purchases). */
  nullable: boolean;
  /** Where the predicate reads it. */
  fact: keyof SegmentFacts;
  /** The value over the Customer row `c`: a column, or a correlated subquery. */
  sql: Prisma.Sql;
  /** The only values it can take, when there is a short list (channel names). */
  values?: readonly string[];
  /** What those values are, in messages ("unknown RFM segment"). Defaults to "channel". */
  valueKind?: string;
  /** The value at `now`, when it depends on it (`opened(30d)`): used instead of `sql`. */
  sqlAt?: (now: Date) => Prisma.Sql;
  /** How the predicate reads it, when not as `facts[fact]`. */
  read?: (facts: SegmentFacts) => number | string | Date | null;
  /** Stored lower-cased: a literal is lower-cased before comparing. */
  lowerCase?: true;
  /** One line for people: what it is. */
  description: string;
}

/** A field holding a set of strings: only `contains` applies. */
export interface SetField {
  name: "channels" | "skus" | "tags";
  type: "set";
  fact: "channels" | "skus" | "tags";
  /** True when the customer's set holds `value` (a bound parameter). */
  has(value: string): Prisma.Sql;
  values?: readonly string[];
  /** Stored lower-cased: a literal is lower-cased before looking for it. */
  lowerCase?: true;
  description: string;
}

export type Field = ScalarField | SetField;

const RATINGS = Prisma.sql`FROM "Event" e WHERE e."customerId" = c.id AND e.type = 'rating'`;

function column(name: string): Prisma.Sql {
  return Prisma.raw(`c."${name}"`);
}

/** Every field of the DSL but `attributes.<key>` and the money fields (money.ts), by name. */
export const FIELDS: ReadonlyMap<string, Field> = new Map(
  (
    [
      {
        name: "orders",
        type: "number",
        nullable: false,
        fact: "orders",
        sql: ORDERS_SQL,
        description: "number of purchases (events of type purchase) that are not fully refunded",
      },
      {
        name: "avg_rating",
        type: "number",
        nullable: true,
        fact: "avgRating",
        sql: Prisma.sql`(SELECT avg(e.value) ${RATINGS})`,
        description: "average value of the rating events; null without ratings",
      },
      {
        name: "last_purchase",
        type: "date",
        nullable: true,
        fact: "lastPurchase",
        sql: column("lastPurchaseAt"),
        description: "when the customer last bought",
      },
      {
        name: "last_interaction",
        type: "date",
        nullable: true,
        fact: "lastInteraction",
        sql: column("lastInteractionAt"),
        description: "when the customer last wrote to us",
      },
      {
        name: "first_seen",
        type: "date",
        nullable: false,
        fact: "firstSeen",
        sql: column("createdAt"),
        description: "when the customer was first seen",
      },
      { name: "name", type: "text", nullable: true, fact: "name", sql: column("name"), description: "name" },
      {
        name: "email",
        type: "text",
        nullable: true,
        fact: "email",
        sql: column("email"),
        lowerCase: true,
        description: "email address (compared in lower case)",
      },
      {
        name: "phone",
        type: "text",
        nullable: true,
        fact: "phone",
        sql: column("phone"),
        description: "phone",
      },
      {
        name: "country",
        type: "text",
        nullable: true,
        fact: "country",
        sql: column("country"),
        description: 'two-letter country code, upper case: "ID", "PL"',
      },
      {
        name: "locale",
        type: "text",
        nullable: false,
        fact: "locale",
        sql: column("locale"),
        description: 'language: "en", "id", "pl"',
      },
      {
        name: "timezone",
        type: "text",
        nullable: true,
        fact: "timezone",
        sql: column("timezone"),
        description: 'IANA time zone, e.g. "Asia/Jakarta"',
      },
      {
        name: "source",
        type: "text",
        nullable: true,
        fact: "source",
        sql: column("source"),
        description: "where the customer first came from",
      },
      {
        name: "preferred_channel",
        type: "text",
        nullable: true,
        fact: "preferredChannel",
        sql: Prisma.sql`c."preferredChannel"::text`,
        values: SENDING_CHANNEL_NAMES,
        description: "the channel the customer last talked to us on",
      },
      {
        name: "loyalty_points",
        type: "number",
        nullable: false,
        fact: "loyaltyPoints",
        sql: column("loyaltyPoints"),
        description: "loyalty points",
      },
      {
        name: "loyalty.points",
        type: "number",
        nullable: false,
        fact: "loyaltyPoints",
        sql: column("loyaltyPoints"),
        description: "loyalty points balance (campaigns/loyalty.yaml)",
      },
      {
        name: "loyalty.tier",
        type: "text",
        nullable: true,
        fact: "loyaltyTier",
        sql: column("loyaltyTier"),
        description: 'loyalty tier as campaigns/loyalty.yaml names it, e.g. "gold"; null before any points',
      },
      {
        name: "channels",
        type: "set",
        fact: "channels",
        has: (value: string) =>
          Prisma.sql`EXISTS (SELECT 1 FROM "Identity" i WHERE i."customerId" = c.id AND i.channel::text = ${value}::text)`,
        values: CHANNEL_NAMES,
        description: "channels the customer can be reached on",
      },
      {
        name: "skus",
        type: "set",
        fact: "skus",
        has: (value: string) =>
          Prisma.sql`EXISTS (SELECT 1 FROM "Purchase" p WHERE p."customerId" = c.id AND p.sku = ${value}::text)`,
        description: "SKUs the customer bought",
      },
      {
        name: "tags",
        type: "set",
        fact: "tags",
        // the GIN index on Customer.tags answers `@>`
        has: (value: string) => Prisma.sql`COALESCE(c.tags @> ARRAY[${value}::text], false)`,
        lowerCase: true,
        description: 'tags staff gave the customer on their profile, lower case: "vip"',
      },
      ...RFM_FIELDS,
      ...FIRST_TOUCH_FIELDS,
      RESPONDS_ON_FIELD,
    ] satisfies Field[]
  ).map((field) => [field.name, field]),
);

/** Prefix of the Customer.attributes fields: `attributes.tier`. */
export const ATTRIBUTE_PREFIX = "attributes.";

/** A key of Customer.attributes as the DSL accepts it. */
export const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]+$/;
