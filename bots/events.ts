import { z } from "zod";
import { SENDING_CHANNEL_NAMES, type SendingChannelName } from "../lib/channels.ts";
import { cleanJson, cleanText } from "../lib/clean-text.ts";
import { type Db, isUniqueViolation, Prisma } from "../lib/db/index.ts";
import { isTimeZone } from "../lib/zoned-time.ts";
import { recordConsent } from "./consent.ts";
import { FirstTouchInput, recordFirstTouch, touchOf } from "./first-touch.ts";
import { resolveCustomerByContact } from "./identity.ts";
import { redeemCoupons } from "./redeem-coupons.ts";

/** Largest amount `Event.value` and `Purchase.unitPrice` hold: `Decimal(14, 2)`, 12 digits before the point. */
export const MAX_AMOUNT = "999999999999.99";
/** How far ahead of the server's clock an event's `occurredAt` may be (clocks drift, time zones get mixed). */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
/** Bounds of an event's `properties`. */
export const PROPERTIES_LIMITS = { maxDepth: 32, maxKeys: 1_000 };
/** The column keeps 2 decimals: more would be rounded silently, so they are refused instead. */
const COLUMN_DECIMALS = 2;
const EARLIEST = Date.UTC(1970, 0, 1);
const INT4_MAX = 2_147_483_647;

/** Text from outside: without U+0000 and lone surrogates, which PostgreSQL cannot store. */
const Text = z.string().overwrite(cleanText);

const Money = z
  .union([
    z.number().nonnegative().finite(),
    z.string().regex(/^\d+(\.\d+)?$/, "expected a decimal amount such as 199.99"),
  ])
  .superRefine((amount, ctx) => {
    const { integer, decimals } = digitsOf(amount);
    if (integer.length > 12) ctx.addIssue({ code: "custom", message: `expected at most ${MAX_AMOUNT}` });
    else if (decimals > COLUMN_DECIMALS)
      ctx.addIssue({ code: "custom", message: `expected at most ${COLUMN_DECIMALS} decimal places` });
  });

/**
 * A customer's marketing answer as the sender saw it: `granted` or `denied`, when the customer chose
 * (default: the event's time), where it came from (default `events_api`), and what proves it (the form,
 * the checkbox text, an IP address). On email, `requested` answers nothing yet: it starts a double opt-in
 * (a link to confirm is emailed to the customer's address; bots/double-opt-in.ts).
 */
const ConsentInput = z.strictObject({
  status: z.enum(["granted", "denied", "requested"], {
    error: "expected granted or denied (or requested on email: a double opt-in)",
  }),
  at: z.iso
    .datetime({ offset: true, error: "expected an ISO 8601 time with offset such as 2026-11-23T10:00:00Z" })
    .optional(),
  source: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, "expected a source name such as checkout_form")
    .optional(),
  evidence: z.record(z.string().max(100), Text.max(1_000)).optional(),
});

/**
 * A postal address, in the fields most shops and spreadsheets have: at least a first line or a city. `country`
 * is ISO 3166-1 alpha-2. Empty strings are dropped, not stored.
 */
export const PostalAddress = z
  .preprocess(
    (value) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(
            Object.entries(value).filter(([, v]) => v !== "" && v !== null && v !== undefined),
          )
        : value,
    z.strictObject({
      line1: Text.trim().max(200).optional(),
      line2: Text.trim().max(200).optional(),
      city: Text.trim().max(100).optional(),
      postalCode: Text.trim().max(20).optional(),
      region: Text.trim().max(100).optional(),
      country: z
        .string()
        .regex(/^[A-Za-z]{2}$/, "expected a two-letter country code such as PL")
        .transform((c) => c.toUpperCase())
        .optional(),
    }),
  )
  .transform((address) =>
    Object.fromEntries(Object.entries(address).filter(([, value]) => value !== undefined && value !== "")),
  )
  .refine((address) => address.line1 !== undefined || address.city !== undefined, {
    message: "expected at least line1 or city",
  });
export type PostalAddress = z.infer<typeof PostalAddress>;

const CustomerRef = z
  .object({
    email: z.email("expected an email address").optional(),
    /** The brand's own id of the customer (a shop's customer id): trusted for identity, before email and phone. */
    externalId: Text.trim().min(1).max(200).optional(),
    name: Text.trim().min(1).max(200).optional(),
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
    /** The postal address (a shop's billing or default address): replaces the stored one when given. */
    address: PostalAddress.optional(),
    /** Where the customer first came from (utm tags, referrer, landing page): kept only if none is known yet. */
    firstTouch: FirstTouchInput.optional(),
    /** Marketing consent per channel, e.g. `{ "email": { "status": "granted", "at": "…" } }`: a ConsentEvent each. */
    consent: z
      .partialRecord(z.enum(SENDING_CHANNEL_NAMES), ConsentInput, {
        error: `expected a map of channels (${SENDING_CHANNEL_NAMES.join(", ")}) to { status, at, source, evidence }`,
      })
      .superRefine((consent, ctx) => {
        for (const [channel, answer] of Object.entries(consent)) {
          if (answer?.status === "requested" && channel !== "email")
            ctx.addIssue({
              code: "custom",
              path: [channel, "status"],
              message: "requested (double opt-in) is for email only: expected granted or denied",
            });
        }
      })
      .optional(),
  })
  .superRefine((customer, ctx) => {
    if (customer.email === undefined && customer.phone === undefined && customer.externalId === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["email"],
        message: "expected at least one of email, phone (E.164) or externalId to tell who the customer is",
      });
    }
    if (customer.consent?.email?.status === "requested" && customer.email === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["consent", "email", "status"],
        message: "requested (double opt-in) needs the customer's email",
      });
    }
  });

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));

const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "expected an ISO 4217 currency code such as PLN")
  .transform((c) => c.toUpperCase())
  .refine(
    (c) => KNOWN_CURRENCIES.has(c),
    "not a currency this server knows: expected an ISO 4217 code such as PLN",
  );

const OccurredAt = z.iso
  .datetime({ offset: true })
  .refine((at) => Date.parse(at) >= EARLIEST, "expected a time after 1970-01-01");

/** An event's free-form properties: cleaned like text, at most 32 levels deep and 1 000 keys in all. */
const Properties = z.record(z.string(), z.unknown()).transform((value, ctx) => {
  const cleaned = cleanJson(value, PROPERTIES_LIMITS);
  if (cleaned.ok) return cleaned.value as Record<string, unknown>;
  ctx.addIssue({ code: "custom", path: cleaned.path, message: cleaned.message });
  return z.NEVER;
});

/** A purchase from a shop: one order, once, however often the shop retries. */
export const PurchaseEvent = z
  .object({
    type: z.literal("purchase"),
    /** The shop's order id: the same order posted twice is stored once. */
    orderId: Text.trim().min(1).max(200),
    occurredAt: OccurredAt.optional(),
    customer: CustomerRef,
    total: Money,
    currency: Currency,
    items: z
      .array(
        z.object({
          sku: Text.trim().min(1).max(200),
          name: Text.max(500).optional(),
          quantity: z.number().int().positive().max(INT4_MAX).default(1),
          price: Money,
        }),
      )
      .max(1000)
      .default([]),
    /** Discount codes the order used: a Rapport coupon among them is marked redeemed by this order. */
    coupons: z.array(Text.trim().min(1).max(200)).max(100).optional(),
    properties: Properties.default({}),
  })
  .superRefine((purchase, ctx) => {
    checkMinorUnits(ctx, purchase.currency, purchase.total, ["total"]);
    for (const [index, item] of purchase.items.entries()) {
      checkMinorUnits(ctx, purchase.currency, item.price, ["items", index, "price"]);
    }
  });

/** Any other customer event: refund, rating, page_view or a custom type. */
export const GenericEvent = z
  .object({
    type: z
      .string()
      .regex(/^[a-z][a-z0-9_.-]{0,63}$/, "expected an event type such as refund or page_view")
      .refine((t) => t !== "purchase"),
    /** The source's id for this event, making it idempotent. */
    id: Text.trim().min(1).max(200).optional(),
    occurredAt: OccurredAt.optional(),
    customer: CustomerRef,
    value: Money.optional(),
    currency: Currency.optional(),
    properties: Properties.default({}),
  })
  .superRefine((event, ctx) => {
    if (event.currency && event.value !== undefined)
      checkMinorUnits(ctx, event.currency, event.value, ["value"]);
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

/** True when the event asks for a double opt-in by email (`customer.consent.email.status: "requested"`). */
export function doubleOptInRequested(event: InboundEvent): boolean {
  return event.customer.consent?.email?.status === "requested";
}

/** What happened to an event. A repeat is an expected outcome. */
export type EventCaptureResult =
  | { kind: "stored"; eventId: string; customerId: string }
  | { kind: "duplicate"; eventId: string; customerId: string };

/**
 * An event whose schema passed but which Rapport still refuses: its `occurredAt` is more than a day ahead of
 * the server's clock (a thank-you was once scheduled for the year 3000). Answered 400 naming the field by
 * the HTTP server's error handler, and nothing is stored.
 */
export class InvalidEventError extends Error {
  override name = "InvalidEventError";
  readonly statusCode = 400;
  readonly code = "invalid_body";
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
}

/**
 * Stores a customer event once, in one transaction: resolves (or creates) the customer by email, writes the
 * Event and its purchase lines, and keeps the customer's last purchase time; if any of it fails, nothing is
 * written, not even the new customer. `(type, externalId)` is unique, so the same order twice returns
 * `duplicate`. Throws {@link InvalidEventError} for an `occurredAt` more than a day after `now`.
 */
export async function captureEvent(
  db: Db,
  event: InboundEvent,
  now: Date,
  source = "api",
): Promise<EventCaptureResult> {
  const occurredAt = event.occurredAt ? new Date(event.occurredAt) : now;
  if (occurredAt.getTime() > now.getTime() + MAX_FUTURE_MS) {
    throw new InvalidEventError([
      { path: "occurredAt", message: `expected a time no later than a day from now (${now.toISOString()})` },
    ]);
  }
  const purchase = isPurchase(event) ? event : undefined;
  const externalId = purchase ? purchase.orderId : ((event as GenericEvent).id ?? null);
  if (externalId !== null) {
    const seen = await findEvent(db, event.type, externalId);
    if (seen) return seen;
  }
  try {
    return await db.$transaction(async (tx) => {
      // one customer's events one at a time, so two first orders of a new email make one customer
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EMAIL_LOCK}::int4, hashtext(${customerKey(event.customer)}))`;
      if (externalId !== null) {
        const seen = await findEvent(tx, event.type, externalId);
        if (seen) return seen;
      }
      const { customerId } = await resolveCustomerByContact(tx, event.customer);
      for (const [channel, answer] of Object.entries(event.customer.consent ?? {})) {
        // a double opt-in request is started once the event is stored (doubleOptInRequested)
        if (answer.status === "requested") continue;
        await recordConsent(tx, {
          customerId,
          channel: channel as SendingChannelName,
          status: answer.status,
          source: answer.source ?? "events_api",
          evidence: { ...answer.evidence, event: event.type, ...(externalId !== null && { id: externalId }) },
          // never later than now: a choice dated ahead would shut out every later change
          at: new Date(Math.min(answer.at ? Date.parse(answer.at) : occurredAt.getTime(), now.getTime())),
        });
      }
      if (event.customer.firstTouch) {
        const via = source === "api" ? "events_api" : source;
        await recordFirstTouch(tx, customerId, touchOf(event.customer.firstTouch, via, via, now));
      }
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
        if (purchase.coupons?.length) {
          const redeemed = { codes: purchase.coupons, orderId: purchase.orderId, eventId: created.id };
          await redeemCoupons(tx, { ...redeemed, at: occurredAt });
        }
      }
      return { kind: "stored" as const, eventId: created.id, customerId };
    });
  } catch (error) {
    if (externalId !== null && isUniqueViolation(error)) {
      const raced = await findEvent(db, event.type, externalId);
      if (raced) return raced;
    }
    throw error;
  }
}

/** What the advisory lock of a customer's events is keyed by: the first contact the resolver trusts. */
function customerKey(customer: { externalId?: string; email?: string; phone?: string }): string {
  if (customer.externalId) return `x:${customer.externalId.trim()}`;
  if (customer.email) return customer.email.trim().toLowerCase();
  return `p:${customer.phone}`;
}

/** The class id (first key) of the advisory locks {@link captureEvent} takes per customer email. */
const EMAIL_LOCK = 7_201_001;

/**
 * How many decimals an amount in `currency` may have: the currency's minor units as `Intl` knows them (JPY
 * and IDR 0, PLN 2, KWD 3), capped at the 2 the database keeps; 2 for a code `Intl` does not know.
 */
export function currencyDecimals(currency: string): number {
  const code = currency.toUpperCase();
  if (!KNOWN_CURRENCIES.has(code)) return COLUMN_DECIMALS;
  let digits = DECIMALS.get(code);
  if (digits === undefined) {
    const format = new Intl.NumberFormat("en", { style: "currency", currency: code });
    digits = Math.min(format.resolvedOptions().maximumFractionDigits ?? COLUMN_DECIMALS, COLUMN_DECIMALS);
    DECIMALS.set(code, digits);
  }
  return digits;
}

const DECIMALS = new Map<string, number>();

/** The integer digits and the number of decimals that matter (trailing zeros do not) of an amount. */
function digitsOf(amount: number | string): { integer: string; decimals: number } {
  const text = typeof amount === "number" ? amountText(amount) : amount;
  const [integer = "", fraction = ""] = text.split(".");
  return { integer: integer.replace(/^0+(?=\d)/, ""), decimals: fraction.replace(/0+$/, "").length };
}

/** A number as decimal digits, enough to judge its size and decimals (`1e21` reads as 22 digits). */
function amountText(amount: number): string {
  const text = String(amount);
  if (!/e/i.test(text)) return text;
  // JavaScript writes only numbers from 1e21 up and below 1e-6 with an exponent: too large, or too many decimals
  return amount >= 1 ? "1".padEnd(22, "0") : "0.0000001";
}

function checkMinorUnits(
  ctx: z.RefinementCtx,
  currency: string,
  amount: number | string,
  path: (string | number)[],
): void {
  const allowed = currencyDecimals(currency);
  if (digitsOf(amount).decimals <= allowed) return;
  ctx.addIssue({
    code: "custom",
    path,
    message:
      allowed === 0
        ? `expected a whole amount: ${currency} has no minor units`
        : `expected at most ${allowed} decimal places for ${currency}`,
  });
}

async function findEvent(
  db: Db | Prisma.TransactionClient,
  type: string,
  externalId: string,
): Promise<EventCaptureResult | undefined> {
  const found = await db.event.findUnique({
    where: { type_externalId: { type, externalId } },
    select: { id: true, customerId: true },
  });
  return found ? { kind: "duplicate", eventId: found.id, customerId: found.customerId } : undefined;
}

function toDecimal(value: number | string | undefined): Prisma.Decimal | null {
  return value === undefined ? null : new Prisma.Decimal(value);
}
