import type { Db } from "../../lib/db/index.ts";
import { type UnverifiedContact, unverifiedContacts } from "../customers/claims.ts";
import { consentByChannel, currencyTotals } from "../customers/profile.ts";
import { type PostalAddress, postalAddress } from "../format.ts";
import { isTimeZone } from "../locale.ts";
import { likelyNextPurchases, type Suggestion } from "./suggest.ts";

/** Purchases listed with their items. */
const RECENT_PURCHASES = 5;
/** Campaign messages listed. */
const RECENT_CAMPAIGNS = 10;

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
  identities: Array<{
    channel: string;
    externalId: string;
    handle: string | null;
    displayName: string | null;
    avatarUrl: string | null;
  }>;
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

/** Loads the customer panel; undefined for an unknown customer. */
export async function customerPanel(
  db: Db,
  customerId: string,
  options: { segmentsOf?: (customerId: string) => Promise<string[]> } = {},
): Promise<CustomerPanel | undefined> {
  const customer = await db.customer.findUnique({
    where: { id: customerId },
    include: { identities: { orderBy: { lastSeenAt: "desc" } }, rfm: { select: { segment: true } } },
  });
  if (!customer) return undefined;
  const addresses = customer.identities.map((i) => ({ channel: i.channel, address: i.externalId }));
  if (customer.email) addresses.push({ channel: "email", address: customer.email });
  const [suppressions, lifetime, purchases, rating, campaigns, suggestions, segments, unverified] =
    await Promise.all([
      db.suppression.findMany({ where: { OR: [{ customerId }, ...addresses] } }),
      currencyTotals(db, customerId),
      recentPurchases(db, customerId),
      ratingOf(db, customerId),
      db.delivery.findMany({
        where: { customerId, campaignId: { not: null } },
        orderBy: { scheduledAt: "desc" },
        take: RECENT_CAMPAIGNS,
        include: { campaign: { select: { name: true } } },
      }),
      likelyNextPurchases(db, customerId),
      options.segmentsOf ? options.segmentsOf(customerId) : Promise.resolve(null),
      unverifiedContacts(db, customerId),
    ]);
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
      rfmSegment: customer.rfm?.segment ?? null,
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
    purchases: purchases.map((event) => ({
      id: event.id,
      orderId: event.externalId,
      occurredAt: event.occurredAt,
      value: event.value?.toString() ?? null,
      currency: event.currency,
      items: event.purchases.map((p) => ({
        sku: p.sku,
        name: p.name,
        quantity: p.quantity,
        unitPrice: p.unitPrice.toString(),
        currency: p.currency,
      })),
    })),
    rating,
    segments,
    campaigns: campaigns.map((d) => ({
      id: d.id,
      campaignId: d.campaignId!,
      campaignName: d.campaign?.name ?? d.campaignId!,
      channel: d.channel,
      status: d.status,
      reason: d.reason,
      sentAt: d.sentAt,
      openedAt: d.openedAt,
      clickedAt: d.clickedAt,
      convertedAt: d.convertedAt,
    })),
    suggestions,
  };
}

/**
 * The latest purchase events with their lines. The lines are read by customer (indexed), not by event id
 * (which is not): an `include` would scan every Purchase row.
 */
async function recentPurchases(db: Db, customerId: string) {
  const events = await db.event.findMany({
    where: { customerId, type: "purchase" },
    orderBy: { occurredAt: "desc" },
    take: RECENT_PURCHASES,
  });
  const lines = events.length
    ? await db.purchase.findMany({
        where: { customerId, eventId: { in: events.map((e) => e.id) } },
        orderBy: { sku: "asc" },
      })
    : [];
  return events.map((event) => ({ ...event, purchases: lines.filter((line) => line.eventId === event.id) }));
}

/** Ratings are `rating` events; conversations rated before those existed carry only `Conversation.rating`. */
async function ratingOf(db: Db, customerId: string): Promise<CustomerPanel["rating"]> {
  const events = await db.event.aggregate({
    where: { customerId, type: "rating", value: { not: null } },
    _avg: { value: true },
    _count: { _all: true },
  });
  if (events._count._all > 0) return { average: Number(events._avg.value), count: events._count._all };
  const conversations = await db.conversation.aggregate({
    where: { customerId, rating: { not: null } },
    _avg: { rating: true },
    _count: { rating: true },
  });
  return conversations._count.rating > 0
    ? { average: Number(conversations._avg.rating), count: conversations._count.rating }
    : null;
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
