import { z } from "zod";
import { type Db, isUniqueViolation, Prisma } from "../lib/db/index.ts";
import { isTimeZone } from "../lib/zoned-time.ts";
import { resolveCustomerByEmail } from "./identity.ts";

const Money = z.union([
  z.number().nonnegative().finite(),
  z.string().regex(/^\d+(\.\d{1,4})?$/, "expected a decimal amount such as 199.99"),
]);

const CustomerRef = z.object({
  email: z.email("expected an email address"),
  name: z.string().trim().min(1).max(200).optional(),
  /** BCP 47 tag; only the language part is used (en, id, pl; others fall back to en). */
  locale: z
    .string()
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, "expected a language tag such as pl or pl-PL")
    .optional(),
  phone: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, "expected an E.164 phone number such as +48601234567")
    .optional(),
  timezone: z
    .string()
    .refine((tz) => isTimeZone(tz), "expected an IANA time zone such as Europe/Warsaw")
    .optional(),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, "expected a two-letter country code such as PL")
    .optional(),
});

const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "expected an ISO 4217 currency code such as PLN")
  .transform((c) => c.toUpperCase());

/** A purchase from a shop: one order, once, however often the shop retries. */
export const PurchaseEvent = z.object({
  type: z.literal("purchase"),
  /** The shop's order id: the same order posted twice is stored once. */
  orderId: z.string().trim().min(1).max(200),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  customer: CustomerRef,
  total: Money,
  currency: Currency,
  items: z
    .array(
      z.object({
        sku: z.string().trim().min(1).max(200),
        name: z.string().max(500).optional(),
        quantity: z.number().int().positive().default(1),
        price: Money,
      }),
    )
    .max(1000)
    .default([]),
  properties: z.record(z.string(), z.unknown()).default({}),
});

/** Any other customer event: refund, rating, page_view or a custom type. */
export const GenericEvent = z.object({
  type: z
    .string()
    .regex(/^[a-z][a-z0-9_.-]{0,63}$/, "expected an event type such as refund or page_view")
    .refine((t) => t !== "purchase"),
  /** The source's id for this event, making it idempotent. */
  id: z.string().trim().min(1).max(200).optional(),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  customer: CustomerRef,
  value: Money.optional(),
  currency: Currency.optional(),
  properties: z.record(z.string(), z.unknown()).default({}),
});

export type PurchaseEvent = z.infer<typeof PurchaseEvent>;
export type GenericEvent = z.infer<typeof GenericEvent>;

/** The body of `POST /api/events`: a purchase, or any other event type. */
export type InboundEvent = PurchaseEvent | GenericEvent;

/** Narrows an event to a purchase. */
export function isPurchase(event: InboundEvent): event is PurchaseEvent {
  return event.type === "purchase" && "orderId" in event;
}

/**
 * Validates an event body against the schema its `type` selects, so a malformed purchase reports the
 * purchase fields at fault rather than a union mismatch.
 */
export function parseInboundEvent(body: unknown): z.ZodSafeParseResult<InboundEvent> {
  const type = (body as { type?: unknown } | null)?.type;
  return type === "purchase" ? PurchaseEvent.safeParse(body) : GenericEvent.safeParse(body);
}

/** What happened to an event. A repeat is an expected outcome. */
export type EventCaptureResult =
  | { kind: "stored"; eventId: string; customerId: string }
  | { kind: "duplicate"; eventId: string; customerId: string };

/**
 * Stores a customer event once: resolves the customer by email, writes the Event (and its purchase lines)
 * in one transaction, and keeps the customer's last purchase time. `(type, externalId)` is unique, so the
 * same order twice returns `duplicate`.
 */
export async function captureEvent(
  db: Db,
  event: InboundEvent,
  now: Date,
  source = "api",
): Promise<EventCaptureResult> {
  const purchase = isPurchase(event) ? event : undefined;
  const externalId = purchase ? purchase.orderId : ((event as GenericEvent).id ?? null);
  if (externalId !== null) {
    const seen = await findEvent(db, event.type, externalId);
    if (seen) return seen;
  }
  const { customerId } = await resolveCustomerByEmail(db, event.customer);
  const occurredAt = event.occurredAt ? new Date(event.occurredAt) : now;
  try {
    const eventId = await db.$transaction(async (tx) => {
      const created = await tx.event.create({
        data: {
          customerId,
          type: event.type,
          externalId,
          source,
          occurredAt,
          value: purchase ? new Prisma.Decimal(purchase.total) : toDecimal((event as GenericEvent).value),
          currency: event.currency ?? null,
          properties: event.properties as Prisma.InputJsonValue,
        },
        select: { id: true },
      });
      if (purchase) {
        await tx.purchase.createMany({
          data: purchase.items.map((item) => ({
            eventId: created.id,
            customerId,
            sku: item.sku,
            name: item.name ?? null,
            quantity: item.quantity,
            unitPrice: new Prisma.Decimal(item.price),
            currency: purchase.currency,
            occurredAt,
          })),
        });
        await tx.customer.updateMany({
          where: { id: customerId, OR: [{ lastPurchaseAt: null }, { lastPurchaseAt: { lt: occurredAt } }] },
          data: { lastPurchaseAt: occurredAt },
        });
      }
      return created.id;
    });
    return { kind: "stored", eventId, customerId };
  } catch (error) {
    if (externalId !== null && isUniqueViolation(error)) {
      const raced = await findEvent(db, event.type, externalId);
      if (raced) return raced;
    }
    throw error;
  }
}

async function findEvent(db: Db, type: string, externalId: string): Promise<EventCaptureResult | undefined> {
  const found = await db.event.findUnique({
    where: { type_externalId: { type, externalId } },
    select: { id: true, customerId: true },
  });
  return found ? { kind: "duplicate", eventId: found.id, customerId: found.customerId } : undefined;
}

function toDecimal(value: number | string | undefined): Prisma.Decimal | null {
  return value === undefined ? null : new Prisma.Decimal(value);
}
