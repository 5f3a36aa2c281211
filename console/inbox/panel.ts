import { type Db, Prisma } from "../../lib/db/index.ts";
import {
  type ClaimRow,
  claimRowsSql,
  type UnverifiedContact,
  withPossibleOwners,
} from "../customers/claims.ts";
import { type CurrencyTotals, consentByChannel, currencyTotalsSql } from "../customers/profile.ts";
import { type PostalAddress, postalAddress } from "../format.ts";
import { isTimeZone } from "../locale.ts";
import { likelyNextPurchasesSql, type Suggestion } from "./suggest.ts";

/** Purchases listed with their items. */
const RECENT_PURCHASES = 5;
/** Campaign messages listed. */
const RECENT_CAMPAIGNS = 10;
/** Open conversations listed, latest message first. */
const OPEN_CONVERSATIONS = 20;

/** A platform identity as the panel shows it. */
export interface PanelIdentity {
  channel: string;
  externalId: string;
  handle: string | null;
  displayName: string | null;
  avatarUrl: string | null;
}

/** Everything the customer panel ("screen pop") shows about the person behind a conversation. */
export interface CustomerPanel {
  customer: {
    id: string;
    name: string | null;
    /** How a channel names them, and their handle there (the most recently seen identity that has one). */
    displayName: string | null;
    handle: string | null;
    email: string | null;
    phone: string | null;
    locale: string;
    /** A valid IANA zone, else null. */
    timezone: string | null;
    country: string | null;
    /** The postal address from the shop or an import; null when none is known. */
    address: PostalAddress | null;
    /** First-touch attribution. */
    source: string | null;
    loyaltyPoints: number;
    /** The loyalty tier (campaigns/loyalty.yaml); null before any points. */
    loyaltyTier: string | null;
    /** The RFM segment of the last refresh (champions … lost); null if never bought or not refreshed yet. */
    rfmSegment: string | null;
    createdAt: Date;
  };
  /** Shown at the top: the first identity's avatar. */
  avatarUrl: string | null;
  identities: PanelIdentity[];
  /** Contacts they typed but never proved (never used to merge or send), with who else holds each. */
  unverified: UnverifiedContact[];
  /** Marketing consent per channel they can be reached on, and any suppression of their address. */
  consent: Array<{
    channel: string;
    /** Null where the customer never answered (or the stored answer is not one Rapport knows). */
    status: "granted" | "denied" | null;
    at: Date | null;
    via: string | null;
    suppressed: string | null;
  }>;
  /** Lifetime value per currency (purchases minus refunds, as on the profile), and how many orders. */
  lifetime: Array<{ currency: string; total: string }>;
  orders: number;
  purchases: Array<{
    id: string;
    orderId: string | null;
    occurredAt: Date;
    value: string | null;
    currency: string | null;
    items: Array<{ sku: string; name: string | null; quantity: number; unitPrice: string; currency: string }>;
  }>;
  /** Average of their ratings, with how many; null when they never rated. */
  rating: { average: number; count: number } | null;
  /** Named segments they are in now; null when the console cannot tell. */
  segments: string[] | null;
  campaigns: Array<{
    id: string;
    campaignId: string;
    campaignName: string;
    channel: string;
    status: string;
    reason: string | null;
    sentAt: Date | null;
    openedAt: Date | null;
    clickedAt: Date | null;
    convertedAt: Date | null;
  }>;
  suggestions: Suggestion[];
  /** Their conversations not closed, latest message first (at most 20). */
  openConversations: Array<{
    id: string;
    channel: string;
    status: string;
    lastMessageAt: Date;
    unreadCount: number;
    handedOver: boolean;
  }>;
}

/**
 * Loads the customer panel; undefined for an unknown customer. One statement builds every part as JSON (the
 * customer with identities, RFM, suppressions and ratings; lifetime value; recent purchases with lines; recent
 * campaign messages; likely next purchases; unverified contacts; open conversations), beside the segments'
 * own statement: a screen pop waits for one round trip, and the process handles two statements, not eight
 * (bench/README.md, "Lookup API"). A contact claimed by them and held by someone else costs one more read.
 * Every caller passes a customer it has just found, so the customer is not read first.
 */
export async function customerPanel(
  db: Db,
  customerId: string,
  options: { segmentsOf?: (customerId: string) => Promise<string[]> } = {},
): Promise<CustomerPanel | undefined> {
  const [parts, segments] = await Promise.all([
    panelParts(db, customerId),
    options.segmentsOf ? options.segmentsOf(customerId) : Promise.resolve(null),
  ]);
  const customer = parts.customer;
  if (!customer) return undefined;
  const unverified = await withPossibleOwners(db, customerId, parts.claims);
  const purchases = purchasesWithLines(parts.purchaseLines);
  const { lifetime, campaigns, suggestions, openConversations } = parts;
  const addresses = customer.identities.map((i) => ({ channel: i.channel, address: i.externalId }));
  if (customer.email) addresses.push({ channel: "email", address: customer.email });
  const { suppressions, rating } = customer;
  return {
    customer: {
      id: customer.id,
      name: customer.name,
      displayName: customer.identities.find((i) => i.displayName)?.displayName ?? null,
      handle: customer.identities.find((i) => i.handle)?.handle ?? null,
      email: customer.email,
      phone: customer.phone,
      locale: customer.locale,
      timezone: isTimeZone(customer.timezone) ? customer.timezone : null,
      country: customer.country,
      address: postalAddress(customer.address),
      source: customer.source,
      loyaltyPoints: customer.loyaltyPoints,
      loyaltyTier: customer.loyaltyTier,
      rfmSegment: customer.rfmSegment,
      createdAt: customer.createdAt,
    },
    avatarUrl: customer.identities.find((i) => i.avatarUrl)?.avatarUrl ?? null,
    identities: customer.identities.map((i) => ({
      channel: i.channel,
      externalId: i.externalId,
      handle: i.handle,
      displayName: i.displayName,
      avatarUrl: i.avatarUrl,
    })),
    unverified,
    consent: consentRows(customer.consent, addresses, suppressions),
    lifetime: lifetime.map((row) => ({ currency: row.currency, total: row.lifetimeValue })),
    orders: lifetime.reduce((sum, row) => sum + row.orders, 0),
    purchases,
    rating,
    segments,
    campaigns,
    suggestions,
    openConversations,
  };
}

/** The panel's parts as {@link panelParts} reads them, dates and decimals as the client drivers give them. */
interface PanelParts {
  customer: (CustomerRow & { rating: CustomerPanel["rating"] }) | undefined;
  lifetime: CurrencyTotals[];
  purchaseLines: PurchaseLine[];
  campaigns: CustomerPanel["campaigns"];
  suggestions: Suggestion[];
  claims: ClaimRow[];
  openConversations: CustomerPanel["openConversations"];
}

/**
 * Every part of the panel in one statement: each part's own query, read as a JSON array (or object) column.
 * The parts keep their plans (each reads by the customer's id through an index, see the functions below);
 * what goes is seven round trips, seven plans and seven results for the process to handle. JSON carries
 * timestamps without their zone and decimals as numbers: {@link at} and {@link decimal} give them back the
 * types the separate statements had, so the panel is the same.
 */
async function panelParts(db: Db, customerId: string): Promise<PanelParts> {
  const rows = await db.$queryRaw<
    Array<{
      customer: Json<CustomerRow> | null;
      lifetime: CurrencyTotals[];
      purchaseLines: Array<Json<PurchaseLine>>;
      campaigns: Array<Json<CustomerPanel["campaigns"][number]>>;
      suggestions: Suggestion[];
      claims: Array<Json<ClaimRow>>;
      openConversations: Array<Json<CustomerPanel["openConversations"][number]>>;
    }>
  >(Prisma.sql`
    SELECT
      (SELECT row_to_json(x) FROM (${customerRowSql(customerId)}) x) AS customer,
      ${jsonRows(currencyTotalsSql(customerId))} AS lifetime,
      ${jsonRows(purchaseLinesSql(customerId))} AS "purchaseLines",
      ${jsonRows(recentCampaignsSql(customerId))} AS campaigns,
      ${jsonRows(likelyNextPurchasesSql(customerId))} AS suggestions,
      ${jsonRows(claimRowsSql(customerId))} AS claims,
      ${jsonRows(openConversationsSql(customerId))} AS "openConversations"`);
  const row = rows[0]!;
  const customer = row.customer ? customerOf(row.customer) : undefined;
  return {
    customer,
    lifetime: row.lifetime,
    purchaseLines: row.purchaseLines.map((line) => ({
      ...line,
      occurredAt: at(line.occurredAt),
      value: decimal(line.value),
      unitPrice: decimal(line.unitPrice),
    })),
    campaigns: row.campaigns.map((c) => ({
      ...c,
      sentAt: atOrNull(c.sentAt),
      openedAt: atOrNull(c.openedAt),
      clickedAt: atOrNull(c.clickedAt),
      convertedAt: atOrNull(c.convertedAt),
    })),
    suggestions: row.suggestions,
    claims: row.claims.map((c) => ({ ...c, createdAt: at(c.createdAt) })),
    openConversations: row.openConversations.map((c) => ({ ...c, lastMessageAt: at(c.lastMessageAt) })),
  };
}

/** A row type as JSON carries it: its dates as text, its decimals as text (cast so in the query). */
type Json<T> = { [K in keyof T]: AsText<T[K]> };
type AsText<V> = V extends Date | Prisma.Decimal
  ? string
  : null extends V
    ? AsText<NonNullable<V>> | null
    : V;

/**
 * A query's rows as one JSON array, in the query's order (an aggregate reads its subquery's rows in the order
 * the subquery gives them when nothing reorders them in between, as here); `[]` for none.
 */
function jsonRows(query: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT COALESCE(json_agg(x), '[]'::json) FROM (${query}) x)`;
}

/** A `timestamp(3)` (UTC, without zone, as Prisma stores DateTime) from its JSON text. */
function at(text: string): Date {
  return new Date(`${text}Z`);
}

function atOrNull(text: string | null): Date | null {
  return text === null ? null : at(text);
}

/** A `numeric` from its text (see the `::text` casts), as the Decimal the separate statement gave. */
function decimal(text: string | null): Prisma.Decimal | null {
  return text === null ? null : new Prisma.Decimal(text);
}

/** The customer row as {@link customerRowSql} reads it. */
interface CustomerRow {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  locale: string;
  timezone: string | null;
  country: string | null;
  address: unknown;
  source: string | null;
  loyaltyPoints: number;
  loyaltyTier: string | null;
  consent: unknown;
  createdAt: Date;
  rfmSegment: string | null;
  identities: PanelIdentity[];
  suppressions: Array<{ channel: string; reason: string }>;
  ratingEvents: number;
  ratingEventsAverage: string | null;
  ratedConversations: number;
  ratedConversationsAverage: string | null;
}

/** The customer row with its dates, and the average of their ratings. */
function customerOf(row: Json<CustomerRow>): CustomerRow & { rating: CustomerPanel["rating"] } {
  const rating: CustomerPanel["rating"] =
    row.ratingEvents > 0
      ? { average: Number(row.ratingEventsAverage), count: row.ratingEvents }
      : row.ratedConversations > 0
        ? { average: Number(row.ratedConversationsAverage), count: row.ratedConversations }
        : null;
  return { ...row, createdAt: at(row.createdAt), rating };
}

/**
 * The customer with what the panel shows of them: their RFM segment, identities (latest seen first), the
 * suppressions of their id or of any address they have (an identity's, their email), and their ratings.
 * Ratings are `rating` events; conversations rated before those existed carry only `Conversation.rating`,
 * counted when there is no rating event. No row for an unknown customer. Every part reads by the customer's
 * id through an index.
 */
function customerRowSql(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT c.id::text, c.name, c.email, c.phone, c.locale, c.timezone, c.country, c.address, c.source,
      c."loyaltyPoints", c."loyaltyTier", c.consent, c."createdAt", r.segment AS "rfmSegment",
      COALESCE((SELECT jsonb_agg(jsonb_build_object('channel', i.channel, 'externalId', i."externalId",
          'handle', i.handle, 'displayName', i."displayName", 'avatarUrl', i."avatarUrl")
          ORDER BY i."lastSeenAt" DESC)
        FROM "Identity" i WHERE i."customerId" = c.id), '[]') AS identities,
      -- three index lookups (a UNION, not an OR, which would scan every suppression)
      COALESCE((SELECT jsonb_agg(jsonb_build_object('channel', s.channel, 'reason', s.reason) ORDER BY s."createdAt")
        FROM (
          SELECT id, channel, reason, "createdAt" FROM "Suppression" WHERE "customerId" = c.id
          UNION
          SELECT s.id, s.channel, s.reason, s."createdAt" FROM "Identity" i
            JOIN "Suppression" s ON s.channel = i.channel AND s.address = i."externalId"
            WHERE i."customerId" = c.id
          UNION
          SELECT id, channel, reason, "createdAt" FROM "Suppression" WHERE channel = 'email' AND address = c.email
        ) s), '[]') AS suppressions,
      e.count::int AS "ratingEvents", e.average::text AS "ratingEventsAverage",
      v.count::int AS "ratedConversations", v.average::text AS "ratedConversationsAverage"
    FROM "Customer" c
    LEFT JOIN "CustomerRfm" r ON r."customerId" = c.id
    CROSS JOIN LATERAL (SELECT count(*) AS count, avg(value) AS average FROM "Event"
      WHERE "customerId" = c.id AND type = 'rating' AND value IS NOT NULL) e
    CROSS JOIN LATERAL (SELECT count(*) AS count, avg(rating) AS average FROM "Conversation"
      WHERE "customerId" = c.id AND rating IS NOT NULL) v
    WHERE c.id = ${customerId}::uuid`;
}

/** One line of a recent purchase (or the purchase alone, `sku` null, when it has no lines). */
interface PurchaseLine {
  id: string;
  externalId: string | null;
  occurredAt: Date;
  value: Prisma.Decimal | null;
  currency: string | null;
  sku: string | null;
  name: string | null;
  quantity: number | null;
  unitPrice: Prisma.Decimal | null;
  lineCurrency: string | null;
}

/** The latest purchase events with their lines; lines read by customer (indexed). Decimals as text. */
function purchaseLinesSql(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT e.id::text, e."externalId", e."occurredAt", e.value::text AS value, e.currency,
      p.sku, p.name, p.quantity, p."unitPrice"::text AS "unitPrice", p.currency AS "lineCurrency"
    FROM (SELECT id, "externalId", "occurredAt", value, currency FROM "Event"
          WHERE "customerId" = ${customerId}::uuid AND type = 'purchase'
          ORDER BY "occurredAt" DESC LIMIT ${RECENT_PURCHASES}) e
    LEFT JOIN "Purchase" p ON p."customerId" = ${customerId}::uuid AND p."eventId" = e.id
    ORDER BY e."occurredAt" DESC, e.id, p.sku`;
}

/** The purchase lines grouped by purchase, in their order. */
function purchasesWithLines(rows: readonly PurchaseLine[]): CustomerPanel["purchases"] {
  const purchases: CustomerPanel["purchases"] = [];
  for (const row of rows) {
    let event = purchases.at(-1);
    if (event?.id !== row.id) {
      event = {
        id: row.id,
        orderId: row.externalId,
        occurredAt: row.occurredAt,
        value: row.value?.toString() ?? null,
        currency: row.currency,
        items: [],
      };
      purchases.push(event);
    }
    if (row.sku !== null) {
      event.items.push({
        sku: row.sku,
        name: row.name,
        quantity: row.quantity!,
        unitPrice: row.unitPrice!.toString(),
        currency: row.lineCurrency!,
      });
    }
  }
  return purchases;
}

/** The latest campaign messages with their campaign's name. */
function recentCampaignsSql(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT d.id::text, d."campaignId", COALESCE(c.name, d."campaignId") AS "campaignName",
      d.channel::text, d.status::text, d.reason, d."sentAt", d."openedAt", d."clickedAt", d."convertedAt"
    FROM "Delivery" d LEFT JOIN "Campaign" c ON c.id = d."campaignId"
    WHERE d."customerId" = ${customerId}::uuid AND d."campaignId" IS NOT NULL
    ORDER BY d."scheduledAt" DESC LIMIT ${RECENT_CAMPAIGNS}`;
}

/** Their conversations not closed, latest message first. */
function openConversationsSql(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT id::text, channel::text, status::text, "lastMessageAt", "unreadCount", "handedOver"
    FROM "Conversation"
    WHERE "customerId" = ${customerId}::uuid AND status <> 'closed'
    ORDER BY "lastMessageAt" DESC LIMIT ${OPEN_CONVERSATIONS}`;
}

/**
 * Consent rows for the channels the customer can be reached on, has answered on, or is suppressed on: the
 * profile's reading of `Customer.consent` (consentByChannel), with the suppression of each channel.
 */
function consentRows(
  consent: unknown,
  addresses: ReadonlyArray<{ channel: string; address: string }>,
  suppressions: ReadonlyArray<{ channel: string; reason: string }>,
): CustomerPanel["consent"] {
  const answered = (consent && typeof consent === "object" ? consent : {}) as Record<string, unknown>;
  return consentByChannel(consent)
    .filter(
      ({ channel }) =>
        addresses.some((a) => a.channel === channel) ||
        Object.hasOwn(answered, channel) ||
        suppressions.some((s) => s.channel === channel),
    )
    .map(({ channel, status, at, via }) => ({
      channel,
      status: status === "unknown" ? null : status,
      at,
      via,
      suppressed: suppressions.find((s) => s.channel === channel)?.reason ?? null,
    }));
}
