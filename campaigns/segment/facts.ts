import type { EngagementFact } from "./engagement.ts";

/**
 * Everything the segment DSL can ask about one customer, as plain data: what an audience's in-memory predicate
 * reads. `loadSegmentFacts` fills it from the database; tests may build it by hand.
 */
export interface SegmentFacts {
  /** The moment the facts are taken at: what `now` means in expressions. */
  now: Date;
  /** Purchase events (Event.type "purchase"), less the fully refunded ones. */
  orders: number;
  /**
   * Money per currency code: `net` is purchases minus refunds in that currency, as a decimal string (exact);
   * `orders` its purchases that are not fully refunded. Events without a currency are in none.
   */
  money: Record<string, { net: string; orders: number }>;
  /** Average of the rating events' values; null without any. */
  avgRating: number | null;
  /** Customer.lastPurchaseAt. */
  lastPurchase: Date | null;
  /** Customer.lastInteractionAt. */
  lastInteraction: Date | null;
  /** Customer.createdAt. */
  firstSeen: Date;
  name: string | null;
  /** Lower-cased, as stored. */
  email: string | null;
  phone: string | null;
  /** ISO 3166-1 alpha-2, e.g. "ID". */
  country: string | null;
  locale: string;
  timezone: string | null;
  source: string | null;
  preferredChannel: string | null;
  loyaltyPoints: number;
  /** Customer.loyaltyTier (campaigns/loyalty.yaml); absent or null before any points. */
  loyaltyTier?: string | null;
  /** Channels the customer has an identity on. */
  channels: string[];
  /** SKUs the customer bought (Purchase.sku). */
  skus: string[];
  /** Customer.tags, lower case; absent: none. */
  tags?: string[];
  /** Customer.consent: `{ "<channel>": { status: "granted" | "denied", … } }`. */
  consent: Record<string, unknown>;
  /** Customer.attributes. */
  attributes: Record<string, unknown>;
  /** CustomerRfm's scores 1–5 and segment (rfm-map.ts); absent or null without a row. */
  rfmRecency?: number | null;
  rfmFrequency?: number | null;
  rfmMonetary?: number | null;
  rfmSegment?: string | null;
  /** Opens, clicks, replies and conversions of the last 365 days (engagement.ts); absent: none. */
  engagement?: EngagementFact[];
  /** The channel the customer clicks or answers on most (engagement.ts); absent or null: none. */
  respondsOn?: string | null;
  /** FirstTouch's source, medium and campaign; absent or null when none was recorded. */
  firstTouchSource?: string | null;
  firstTouchMedium?: string | null;
  firstTouchCampaign?: string | null;
}
