import { NOT_FULLY_REFUNDED } from "../../campaigns/index.ts";
import { type ChannelName, SENDING_CHANNEL_NAMES } from "../../lib/channels.ts";
import { type Db, Prisma } from "../../lib/db/index.ts";
import { type PostalAddress, postalAddress } from "../format.ts";
import { isTimeZone } from "../locale.ts";
import { type UnverifiedContact, unverifiedContacts } from "./claims.ts";
import { isUuid } from "./ids.ts";

/** How many of each list (purchases, conversations, campaign messages, ratings) a profile shows. */
export const RECENT = 20;

/** A customer's marketing consent on one channel, from `Customer.consent`. */
export interface ChannelConsent {
  channel: ChannelName;
  status: "granted" | "denied" | "unknown";
  at: Date | null;
  via: string | null;
}

/** Orders and money of one currency: lifetime value is purchases minus refunds. */
export interface CurrencyTotals {
  currency: string;
  orders: number;
  revenue: string;
  refunds: string;
  lifetimeValue: string;
}

/** Everything the profile page shows about one customer, and nothing about anyone else. */
export interface CustomerProfile {
  customer: {
    id: string;
    name: string | null;
    email: string | null;
    phone: string | null;
    locale: string;
    /** The customer's IANA zone when it is a valid one (for their local time), else null. */
    zone: string | null;
    /** The zone as stored, valid or not. */
    timezone: string | null;
    country: string | null;
    /** The postal address, structured; null when none is known. */
    address: PostalAddress | null;
    source: string | null;
    preferredChannel: ChannelName | null;
    loyaltyPoints: number;
    /** Staff's tags, sorted. */
    tags: string[];
    createdAt: Date;
    lastInteractionAt: Date | null;
    lastPurchaseAt: Date | null;
  };
  identities: Array<{
    channel: ChannelName;
    externalId: string;
    handle: string | null;
    displayName: string | null;
    lastSeenAt: Date;
  }>;
  /** Contacts the customer typed but never proved, each with who else holds it: "possibly the same person". */
  unverified: UnverifiedContact[];
  consent: ChannelConsent[];
  /** Every change of consent, newest first: the ConsentEvent history. */
  consentHistory: Array<{
    channel: ChannelName;
    status: string;
    source: string;
    at: Date;
    /** The evidence as "key: value" pairs, for reading. */
    evidence: string;
  }>;
  suppressions: Array<{ channel: ChannelName; address: string; reason: string; createdAt: Date }>;
  totals: CurrencyTotals[];
  purchases: Array<{
    id: string;
    externalId: string | null;
    occurredAt: Date;
    value: string | null;
    currency: string | null;
    items: Array<{ sku: string; name: string | null; quantity: number; unitPrice: string; currency: string }>;
  }>;
  ratings: { average: number | null; count: number; recent: Array<{ score: number; occurredAt: Date }> };
  conversations: Array<{
    id: string;
    channel: ChannelName;
    status: string;
    lastMessageAt: Date;
    unreadCount: number;
    rating: number | null;
  }>;
  campaigns: Array<{
    campaignId: string;
    campaignName: string;
    step: string | null;
    variant: string | null;
    channel: ChannelName;
    status: string;
    reason: string | null;
    scheduledAt: Date;
    sentAt: Date | null;
    convertedAt: Date | null;
    revenue: string | null;
    currency: string | null;
  }>;
}

/** A profile, or where the customer's data is now, or nothing. */
export type ProfileResult =
  | { kind: "found"; profile: CustomerProfile }
  | { kind: "merged"; survivorId: string }
  | { kind: "not_found" };

/**
 * A customer's orders and money per currency, purchases minus refunds: the lifetime value the profile and the
 * conversation's customer panel show. Orders are counted as the segment DSL's `orders` counts them: a fully
 * refunded order is not one.
 */
export function currencyTotals(db: Db, customerId: string): Promise<CurrencyTotals[]> {
  return db.$queryRaw<CurrencyTotals[]>(currencyTotalsSql(customerId));
}

/** The statement of {@link currencyTotals}, for a caller that reads it with others in one statement. */
export function currencyTotalsSql(customerId: string): Prisma.Sql {
  return Prisma.sql`
    SELECT e.currency,
      count(*) FILTER (WHERE e.type = 'purchase' AND ${NOT_FULLY_REFUNDED})::int AS orders,
      COALESCE(sum(e.value) FILTER (WHERE e.type = 'purchase'), 0)::text AS revenue,
      COALESCE(sum(e.value) FILTER (WHERE e.type = 'refund'), 0)::text AS refunds,
      (COALESCE(sum(e.value) FILTER (WHERE e.type = 'purchase'), 0)
        - COALESCE(sum(e.value) FILTER (WHERE e.type = 'refund'), 0))::text AS "lifetimeValue"
    FROM "Event" e
    WHERE e."customerId" = ${customerId}::uuid AND e.type IN ('purchase', 'refund') AND e.currency IS NOT NULL
    GROUP BY e.currency ORDER BY e.currency`;
}

/** `Customer.consent` as one entry per channel, "unknown" where the customer never answered. */
export function consentByChannel(consent: unknown): ChannelConsent[] {
  const map = (consent && typeof consent === "object" ? consent : {}) as Record<string, unknown>;
  return SENDING_CHANNEL_NAMES.map((channel) => {
    const entry = (map[channel] ?? {}) as { status?: unknown; at?: unknown; via?: unknown };
    const status = entry.status === "granted" || entry.status === "denied" ? entry.status : "unknown";
    const at =
      typeof entry.at === "string" && !Number.isNaN(Date.parse(entry.at)) ? new Date(entry.at) : null;
    return { channel, status, at, via: typeof entry.via === "string" ? entry.via : null };
  });
}

/**
 * One customer's profile: contact, identities, consent, orders and lifetime value per currency, recent
 * purchases with their lines, ratings, conversations and the campaign messages they got. Every query is
 * filtered by this customer's id. A merged-away customer answers with the survivor's id.
 */
export async function customerProfile(db: Db, customerId: string): Promise<ProfileResult> {
  if (!isUuid(customerId)) return { kind: "not_found" };
  const id = customerId.toLowerCase();
  const row = await db.customer.findUnique({ where: { id } });
  if (!row) return { kind: "not_found" };
  if (row.mergedIntoId) return { kind: "merged", survivorId: row.mergedIntoId };
  const mine = { customerId: id };
  const [
    identities,
    suppressions,
    totals,
    purchases,
    ratings,
    ratingStats,
    conversations,
    deliveries,
    unverified,
    consentEvents,
  ] = await Promise.all([
    db.identity.findMany({
      where: mine,
      orderBy: [{ channel: "asc" }, { lastSeenAt: "desc" }],
      select: { channel: true, externalId: true, handle: true, displayName: true, lastSeenAt: true },
    }),
    db.suppression.findMany({
      where: mine,
      orderBy: { createdAt: "desc" },
      select: { channel: true, address: true, reason: true, createdAt: true },
    }),
    currencyTotals(db, id),
    db.event.findMany({
      where: { ...mine, type: "purchase" },
      orderBy: { occurredAt: "desc" },
      take: RECENT,
      select: {
        id: true,
        externalId: true,
        occurredAt: true,
        value: true,
        currency: true,
        purchases: {
          where: mine,
          orderBy: { sku: "asc" },
          select: { sku: true, name: true, quantity: true, unitPrice: true, currency: true },
        },
      },
    }),
    db.event.findMany({
      where: { ...mine, type: "rating", value: { not: null } },
      orderBy: { occurredAt: "desc" },
      take: RECENT,
      select: { value: true, occurredAt: true },
    }),
    db.event.aggregate({
      where: { ...mine, type: "rating", value: { not: null } },
      _avg: { value: true },
      _count: { _all: true },
    }),
    db.conversation.findMany({
      where: mine,
      orderBy: { lastMessageAt: "desc" },
      take: RECENT,
      select: {
        id: true,
        channel: true,
        status: true,
        lastMessageAt: true,
        unreadCount: true,
        rating: true,
      },
    }),
    db.delivery.findMany({
      where: { ...mine, campaignId: { not: null } },
      orderBy: { scheduledAt: "desc" },
      take: RECENT,
      select: {
        campaignId: true,
        campaign: { select: { name: true } },
        step: true,
        variant: true,
        channel: true,
        status: true,
        reason: true,
        scheduledAt: true,
        sentAt: true,
        convertedAt: true,
        revenue: true,
        conversionEventId: true,
      },
    }),
    unverifiedContacts(db, id),
    db.consentEvent.findMany({
      where: mine,
      orderBy: [{ at: "desc" }, { createdAt: "desc" }],
      take: 50,
      select: { channel: true, status: true, source: true, at: true, evidence: true },
    }),
  ]);
  const conversionIds = deliveries.flatMap((d) => (d.conversionEventId ? [d.conversionEventId] : []));
  const currencies = conversionIds.length
    ? await db.event.findMany({
        where: { id: { in: conversionIds }, ...mine },
        select: { id: true, currency: true },
      })
    : [];
  const currencyOf = new Map(currencies.map((e) => [e.id, e.currency]));
  const average = ratingStats._avg.value;
  return {
    kind: "found",
    profile: {
      customer: {
        id: row.id,
        name: row.name,
        email: row.email,
        phone: row.phone,
        locale: row.locale,
        zone: isTimeZone(row.timezone) ? row.timezone : null,
        timezone: row.timezone,
        country: row.country,
        address: postalAddress(row.address),
        source: row.source,
        preferredChannel: row.preferredChannel,
        loyaltyPoints: row.loyaltyPoints,
        tags: row.tags,
        createdAt: row.createdAt,
        lastInteractionAt: row.lastInteractionAt,
        lastPurchaseAt: row.lastPurchaseAt,
      },
      identities,
      unverified,
      consent: consentByChannel(row.consent),
      consentHistory: consentEvents.map((e) => ({
        ...e,
        evidence: Object.entries((e.evidence ?? {}) as Record<string, unknown>)
          .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
          .join(", "),
      })),
      suppressions,
      totals,
      purchases: purchases.map((p) => ({
        ...p,
        value: p.value?.toString() ?? null,
        items: p.purchases.map((item) => ({ ...item, unitPrice: item.unitPrice.toString() })),
      })),
      ratings: {
        average: average === null ? null : Number(average),
        count: ratingStats._count._all,
        recent: ratings.map((r) => ({ score: Number(r.value), occurredAt: r.occurredAt })),
      },
      conversations,
      campaigns: deliveries.map((d) => ({
        campaignId: d.campaignId!,
        campaignName: d.campaign?.name ?? d.campaignId!,
        step: d.step,
        variant: d.variant,
        channel: d.channel,
        status: d.status,
        reason: d.reason,
        scheduledAt: d.scheduledAt,
        sentAt: d.sentAt,
        convertedAt: d.convertedAt,
        revenue: d.revenue?.toString() ?? null,
        currency: d.conversionEventId ? (currencyOf.get(d.conversionEventId) ?? null) : null,
      })),
    },
  };
}
