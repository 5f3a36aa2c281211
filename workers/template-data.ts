/** The brand as templates see it. */
export interface Brand {
  name: string;
  url?: string;
}

/** A triggering event as templates see it. */
export interface TemplateEvent {
  id: string;
  type: string;
  externalId: string | null;
  value: string | null;
  currency: string | null;
  occurredAt: Date;
  properties: unknown;
  purchases: Array<{ sku: string; name: string | null; quantity: number; unitPrice: string }>;
}

/** A decimal as Prisma returns it (`Decimal`), or anything else that prints as one. */
type Decimalish = { toString(): string };

/** A stored event with its purchase lines, Prisma's decimals as text: the event as templates see it. */
export function templateEvent(
  event: Omit<TemplateEvent, "value" | "purchases"> & {
    value: Decimalish | null;
    purchases: Array<Omit<TemplateEvent["purchases"][number], "unitPrice"> & { unitPrice: Decimalish }>;
  },
): TemplateEvent {
  return {
    ...event,
    value: event.value?.toString() ?? null,
    purchases: event.purchases.map((p) => ({ ...p, unitPrice: p.unitPrice.toString() })),
  };
}

/**
 * The data a campaign message is rendered with, fixed when the message is planned so a retry renders the
 * same message: `customer`, `brand`, the triggering `event`, `order` for purchases, and the message's own
 * data (the campaign's `message.data` with the variant's, coupons filled in) on top.
 */
export function buildTemplateData(input: {
  data: Record<string, unknown>;
  customer: {
    name: string | null;
    email: string | null;
    locale: string;
    /** Customer.loyaltyPoints and loyaltyTier: `{{loyalty.points}}`, `{{loyalty.tier}}`. */
    loyaltyPoints?: number;
    loyaltyTier?: string | null;
  };
  brand: Brand;
  event?: TemplateEvent;
}): Record<string, unknown> {
  const { event } = input;
  const order =
    event?.type === "purchase"
      ? {
          id: event.externalId ?? event.id,
          total: event.value ?? "0",
          currency: event.currency ?? "USD",
          items: event.purchases.map((p) => ({
            sku: p.sku,
            name: p.name ?? p.sku,
            quantity: p.quantity,
            unitPrice: p.unitPrice,
          })),
        }
      : undefined;
  return {
    customer: { name: input.customer.name ?? undefined, email: input.customer.email ?? undefined },
    brand: { name: input.brand.name, url: input.brand.url },
    loyalty: { points: input.customer.loyaltyPoints ?? 0, tier: input.customer.loyaltyTier ?? undefined },
    ...(event
      ? {
          event: {
            type: event.type,
            id: event.externalId ?? event.id,
            occurredAt: event.occurredAt.toISOString(),
            properties: event.properties,
          },
        }
      : {}),
    ...(order ? { order } : {}),
    ...input.data,
  };
}
