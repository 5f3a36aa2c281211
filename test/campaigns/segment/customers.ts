import { randomUUID } from "node:crypto";
import type { SegmentFacts } from "../../../campaigns/segment/index.ts";
import type { ChannelName } from "../../../lib/channels.ts";
import type { Db } from "../../../lib/db/index.ts";

/** A customer as a test describes it; money in cents so sums are exact. */
export interface CustomerSpec {
  name: string | null;
  email: string | null;
  phone: string | null;
  country: string | null;
  locale: string;
  timezone: string | null;
  source: string | null;
  preferredChannel: ChannelName | null;
  loyaltyPoints: number;
  lastPurchaseAt: Date | null;
  lastInteractionAt: Date | null;
  createdAt: Date;
  attributes: Record<string, unknown>;
  consent: Record<string, unknown>;
  /**
   * Purchase events: their value in cents (or none), the SKUs of their lines, their currency (EUR unless said,
   * null for none) and the refund events of the order, in cents, in the same currency.
   */
  purchases: Array<{ cents: number | null; skus: string[]; currency?: string | null; refunds?: number[] }>;
  /** Rating events: their value in cents (450 is a 4.5 rating) or none. */
  ratings: Array<number | null>;
  /** Other events with a value, which no field may count. */
  pageViews: number;
  identities: ChannelName[];
}

/** A customer with nothing but defaults, created at `createdAt`. */
export function customer(overrides: Partial<CustomerSpec> = {}): CustomerSpec {
  return {
    name: null,
    email: null,
    phone: null,
    country: null,
    locale: "en",
    timezone: null,
    source: null,
    preferredChannel: null,
    loyaltyPoints: 0,
    lastPurchaseAt: null,
    lastInteractionAt: null,
    createdAt: new Date("2025-06-01T00:00:00Z"),
    attributes: {},
    consent: {},
    purchases: [],
    ratings: [],
    pageViews: 0,
    identities: [],
    ...overrides,
  };
}

const AT = new Date("2025-01-01T00:00:00Z");

/** Inserts the customers with their events, purchases and identities. @returns their ids, in order. */
export async function insertCustomers(db: Db, specs: readonly CustomerSpec[]): Promise<string[]> {
  const ids = specs.map(() => randomUUID());
  await db.customer.createMany({
    data: specs.map((s, i) => ({
      id: ids[i]!,
      name: s.name,
      email: s.email,
      phone: s.phone,
      country: s.country,
      locale: s.locale,
      timezone: s.timezone,
      source: s.source,
      preferredChannel: s.preferredChannel,
      loyaltyPoints: s.loyaltyPoints,
      lastPurchaseAt: s.lastPurchaseAt,
      lastInteractionAt: s.lastInteractionAt,
      createdAt: s.createdAt,
      attributes: s.attributes as object,
      consent: s.consent as object,
    })),
  });
  const events: Array<{
    id: string;
    customerId: string;
    type: string;
    externalId?: string;
    value: string | null;
    currency?: string | null;
    properties?: object;
    occurredAt: Date;
  }> = [];
  const lines: Array<{
    eventId: string;
    customerId: string;
    sku: string;
    unitPrice: string;
    currency: string;
    occurredAt: Date;
  }> = [];
  specs.forEach((s, i) => {
    const customerId = ids[i]!;
    const money = (cents: number | null) => (cents === null ? null : (cents / 100).toFixed(2));
    for (const purchase of s.purchases) {
      const id = randomUUID();
      const currency = purchase.currency === undefined ? "EUR" : purchase.currency;
      const value = money(purchase.cents);
      events.push({ id, customerId, type: "purchase", externalId: id, value, currency, occurredAt: AT });
      for (const cents of purchase.refunds ?? []) {
        const refund = { type: "refund", value: money(cents), currency, properties: { orderId: id } };
        events.push({ id: randomUUID(), customerId, ...refund, occurredAt: AT });
      }
      for (const sku of purchase.skus) {
        lines.push({ eventId: id, customerId, sku, unitPrice: "1.00", currency: "EUR", occurredAt: AT });
      }
    }
    for (const rating of s.ratings) {
      events.push({ id: randomUUID(), customerId, type: "rating", value: money(rating), occurredAt: AT });
    }
    for (let n = 0; n < s.pageViews; n++) {
      events.push({ id: randomUUID(), customerId, type: "page_view", value: "7.00", occurredAt: AT });
    }
  });
  if (events.length > 0) await db.event.createMany({ data: events });
  if (lines.length > 0) await db.purchase.createMany({ data: lines });
  const identities = specs.flatMap((s, i) =>
    s.identities.map((channel) => ({ channel, externalId: `${ids[i]}:${channel}`, customerId: ids[i]! })),
  );
  if (identities.length > 0) await db.identity.createMany({ data: identities });
  return ids;
}

/** The facts of a customer computed from its spec alone, without the database. */
export function factsOf(s: CustomerSpec, now: Date): SegmentFacts {
  const kept = s.purchases.filter(
    (p) => (p.refunds ?? []).length === 0 || (p.refunds ?? []).reduce((a, b) => a + b, 0) < (p.cents ?? 0),
  );
  const cents = new Map<string, { net: number; orders: number }>();
  for (const p of s.purchases) {
    const currency = p.currency === undefined ? "EUR" : p.currency;
    if (currency === null) continue;
    const entry = cents.get(currency) ?? { net: 0, orders: 0 };
    entry.net += (p.cents ?? 0) - (p.refunds ?? []).reduce((a, b) => a + b, 0);
    if (kept.includes(p)) entry.orders++;
    cents.set(currency, entry);
  }
  const money = Object.fromEntries(
    [...cents].map(([currency, { net, orders }]) => [currency, { net: (net / 100).toFixed(2), orders }]),
  );
  const ratings = s.ratings.filter((r): r is number => r !== null);
  return {
    now,
    orders: kept.length,
    money,
    avgRating: ratings.length === 0 ? null : ratings.reduce((a, b) => a + b, 0) / ratings.length / 100,
    lastPurchase: s.lastPurchaseAt,
    lastInteraction: s.lastInteractionAt,
    firstSeen: s.createdAt,
    name: s.name,
    email: s.email,
    phone: s.phone,
    country: s.country,
    locale: s.locale,
    timezone: s.timezone,
    source: s.source,
    preferredChannel: s.preferredChannel,
    loyaltyPoints: s.loyaltyPoints,
    channels: [...new Set(s.identities)],
    skus: [...new Set(s.purchases.flatMap((p) => p.skus))],
    consent: s.consent,
    attributes: s.attributes,
  };
}
