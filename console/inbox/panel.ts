import { type Db, Prisma } from "../../lib/db/index.ts";
import { type UnverifiedContact, unverifiedContacts } from "../customers/claims.ts";
import { consentByChannel, currencyTotals } from "../customers/profile.ts";
import { type PostalAddress, postalAddress } from "../format.ts";
import { isTimeZone } from "../locale.ts";
import { likelyNextPurchases, type Suggestion } from "./suggest.ts";

/** Purchases listed with their items. */
const RECENT_PURCHASES = 5;
/** Campaign messages listed. */
const RECENT_CAMPAIGNS = 10;

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
}

/**
 * Loads the customer panel; undefined for an unknown customer. Six statements, all at once: the customer
 * with identities, RFM, suppressions and ratings; lifetime value; recent purchases with lines; recent
 * campaign messages; likely next purchases; unverified contacts (and one more per contact, rarely any).
 * Every caller passes a customer it has just found, so the customer is not read first: a screen pop waits
 * for one wave of reads, not three.
 */
export async function customerPanel(
  db: Db,
  customerId: string,
  options: { segmentsOf?: (customerId: string) => Promise<string[]> } = {},
): Promise<CustomerPanel | undefined> {
  const [customer, lifetime, purchases, campaigns, suggestions, segments, unverified] = await Promise.all([
    customerRow(db, customerId),
    currencyTotals(db, customerId),
    recentPurchases(db, customerId),
    recentCampaigns(db, customerId),
    likelyNextPurchases(db, customerId),
    options.segmentsOf ? options.segmentsOf(customerId) : Promise.resolve(null),
    unverifiedContacts(db, customerId),
  ]);
  if (!customer) return undefined;
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
  };
}

/**
 * The customer with what the panel shows of them in one statement: their RFM segment, identities (latest
 * seen first), the suppressions of their id or of any address they have (an identity's, their email), and the
 * average of their ratings. Ratings are `rating` events; conversations rated before those existed carry only
 * `Conversation.rating`, counted when there is no rating event. Undefined for an unknown customer.
 *
 * One statement instead of five (the customer, its identities, its RFM row, then the suppressions of the
 * addresses, then the ratings): the panel is a screen pop, and each statement is a round trip and a plan
 * (bench/README.md, "Lookup API"). Every part reads by the customer's id through an index.
 */
async function customerRow(db: Db, customerId: string) {
  const rows = await db.$queryRaw<
    Array<{
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
    }>
  >(Prisma.sql`
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
    WHERE c.id = ${customerId}::uuid`);
  const row = rows[0];
  if (!row) return undefined;
  const rating: CustomerPanel["rating"] =
    row.ratingEvents > 0
      ? { average: Number(row.ratingEventsAverage), count: row.ratingEvents }
      : row.ratedConversations > 0
        ? { average: Number(row.ratedConversationsAverage), count: row.ratedConversations }
        : null;
  return { ...row, rating };
}

/** The latest purchase events with their lines, in one statement; lines read by customer (indexed). */
async function recentPurchases(db: Db, customerId: string): Promise<CustomerPanel["purchases"]> {
  const rows = await db.$queryRaw<
    Array<{
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
    }>
  >(Prisma.sql`
    SELECT e.id::text, e."externalId", e."occurredAt", e.value, e.currency,
      p.sku, p.name, p.quantity, p."unitPrice", p.currency AS "lineCurrency"
    FROM (SELECT id, "externalId", "occurredAt", value, currency FROM "Event"
          WHERE "customerId" = ${customerId}::uuid AND type = 'purchase'
          ORDER BY "occurredAt" DESC LIMIT ${RECENT_PURCHASES}) e
    LEFT JOIN "Purchase" p ON p."customerId" = ${customerId}::uuid AND p."eventId" = e.id
    ORDER BY e."occurredAt" DESC, e.id, p.sku`);
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

/** The latest campaign messages with their campaign's name, in one statement. */
function recentCampaigns(db: Db, customerId: string): Promise<CustomerPanel["campaigns"]> {
  return db.$queryRaw<CustomerPanel["campaigns"]>(Prisma.sql`
    SELECT d.id::text, d."campaignId", COALESCE(c.name, d."campaignId") AS "campaignName",
      d.channel::text, d.status::text, d.reason, d."sentAt", d."openedAt", d."clickedAt", d."convertedAt"
    FROM "Delivery" d LEFT JOIN "Campaign" c ON c.id = d."campaignId"
    WHERE d."customerId" = ${customerId}::uuid AND d."campaignId" IS NOT NULL
    ORDER BY d."scheduledAt" DESC LIMIT ${RECENT_CAMPAIGNS}`);
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
