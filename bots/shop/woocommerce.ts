import { z } from "zod";
import { decodeEntities } from "../../lib/html-entities.ts";
import { verifyHmac } from "../../lib/signature.ts";
import { currencyDecimals, PurchaseEvent } from "../events.ts";
import {
  customerDetails,
  fullName,
  ifValid,
  invalidOrder,
  isEmail,
  type ShopOrderResult,
} from "./order-result.ts";

/** The header carrying the base64 HMAC-SHA256 of the raw body, keyed with the webhook's secret. */
export const WOOCOMMERCE_SIGNATURE_HEADER = "x-wc-webhook-signature";

/**
 * What a WooCommerce order webhook amounts to:
 * - `purchase`: a paid order, as the event `POST /api/events` would accept;
 * - `skipped`: nothing to store (`ping`: the unsigned test WooCommerce sends when a webhook is saved;
 *   `not_paid`: pending, on-hold, failed or a status we do not know, it arrives again with
 *   `order.updated` once paid; `cancelled`: cancelled, refunded or trashed; `no_customer`: no billing
 *   email). Answer exactly 200: WooCommerce refuses to save a webhook whose ping gets anything else, and
 *   disables one after more than 5 failed deliveries in a row;
 * - `invalid`: not an order body we understand, with the fields at fault.
 */
export type WooCommerceOrderResult = ShopOrderResult<"ping" | "not_paid" | "cancelled" | "no_customer">;

const Text = z.string().nullish();
const Id = z.number().int().nonnegative();
const Address = z
  .looseObject({
    first_name: Text,
    last_name: Text,
    email: Text,
    phone: Text,
    address_1: Text,
    address_2: Text,
    city: Text,
    postcode: Text,
    state: Text,
    country: Text,
  })
  .nullish();

/** A WooCommerce address in the event's fields (invalid or empty ones are dropped by `customerDetails`). */
const postalOf = (a: z.infer<typeof Address>) =>
  a && {
    line1: a.address_1 ?? undefined,
    line2: a.address_2 ?? undefined,
    city: a.city ?? undefined,
    postalCode: a.postcode ?? undefined,
    region: a.state ?? undefined,
    country: a.country ?? undefined,
  };

const WooLineItem = z.looseObject({
  id: Id,
  name: Text,
  product_id: Id.nullish(),
  variation_id: Id.nullish(),
  quantity: z.number().int(),
  sku: Text,
  price: z.union([z.number(), z.string()]),
});

/** A WooCommerce order webhook body (REST API v3 order), as far as Rapport reads it. */
export const WooOrder = z.looseObject({
  id: Id,
  number: z.union([z.string(), z.number()]).nullish(),
  status: z.string(),
  currency: z.string(),
  total: z.string(),
  date_created_gmt: Text,
  /** The store's customer id; 0 for a guest checkout. */
  customer_id: Id.nullish().catch(null),
  billing: Address,
  shipping: Address,
  line_items: z.array(WooLineItem),
  /** The coupons applied to the order. */
  coupon_lines: z
    .array(z.looseObject({ code: z.string() }))
    .nullish()
    .catch(null),
  meta_data: z.array(z.looseObject({ key: z.string(), value: z.unknown() })).nullish(),
});

type WooOrder = z.infer<typeof WooOrder>;

/** "Payment received" and "fulfilled": the statuses WooCommerce's docs describe as paid. */
const PAID = new Set(["processing", "completed"]);
const GONE = new Set(["cancelled", "refunded", "trash"]);

const OccurredAt = PurchaseEvent.shape.occurredAt;

/** True for WooCommerce's webhook ping, a form-encoded `webhook_id=<n>` body sent unsigned. */
export function isWooCommercePing(body: unknown): boolean {
  if (typeof body === "string" || Buffer.isBuffer(body))
    return /^webhook_id=\d+$/.test(body.toString().trim());
  if (typeof body !== "object" || body === null) return false;
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === "webhook_id";
}

/**
 * Maps a WooCommerce `order.created` or `order.updated` webhook body (REST API v3 order) to a purchase.
 *
 * Rules:
 * - counts only `processing` (paid, awaiting fulfilment) and `completed`; `pending` is an unpaid checkout
 *   and `on-hold` awaits payment confirmation (bank transfer, cheque, uncaptured card), so subscribe to
 *   `order.updated` too: the order arrives again when it becomes processing. The ping is `skipped`;
 * - `orderId` is `woocommerce:<id>`; the display `number` (sequential-number plugins change it) goes to
 *   properties;
 * - `occurredAt` is `date_created_gmt` read as UTC; `date_created` is site-local without an offset, so an
 *   order without the GMT date gets no `occurredAt` (the receive time is used);
 * - the customer: `customer_id` as `externalId` `woocommerce:<id>` (0, a guest, is none), `billing.email`
 *   and the phone below; none of the three means `no_customer`; name from billing, else shipping, first/last;
 * - phone: billing, else shipping phone if E.164 once spaces, dots, dashes and brackets are removed;
 *   national numbers are dropped, not guessed; country from billing, else shipping `country`;
 * - locale only from WPML's `wpml_language` order meta: core WooCommerce records no customer language;
 * - total `total` as given; item price from `price` (line total after discounts over quantity, excluding
 *   tax) as a decimal string of at most 4 places;
 * - item sku: `sku`, else `variation_id`, else `product_id`, else the line item's own id (deleted
 *   products); item name with HTML entities decoded ("&ndash;" becomes "–");
 * - properties: `{ shop: "woocommerce", orderNumber, status }`.
 */
export function normalizeWooCommerceOrder(payload: unknown): WooCommerceOrderResult {
  if (isWooCommercePing(payload)) {
    return { kind: "skipped", reason: "ping", message: "WooCommerce webhook ping: answer 200" };
  }
  const parsed = WooOrder.safeParse(payload);
  if (!parsed.success) return invalidOrder("WooCommerce order", parsed.error.issues);
  const order = parsed.data;
  if (GONE.has(order.status)) {
    return { kind: "skipped", reason: "cancelled", message: `order ${order.id} is ${order.status}` };
  }
  if (!PAID.has(order.status)) {
    const message = `status "${order.status}" is not paid yet; the order counts when it becomes processing`;
    return { kind: "skipped", reason: "not_paid", message };
  }
  const billingEmail = order.billing?.email?.trim();
  const email = isEmail(billingEmail) ? billingEmail : undefined;
  const customer = customerOf(
    order,
    email,
    order.customer_id ? `woocommerce:${order.customer_id}` : undefined,
  );
  if (!customer.email && !customer.phone && !customer.externalId) {
    return {
      kind: "skipped",
      reason: "no_customer",
      message: `order ${order.id} names no customer (no billing email, E.164 phone or customer id): nothing to tie it to`,
    };
  }
  const occurredAt = ifValid(OccurredAt, asUtc(order.date_created_gmt));
  const candidate = {
    type: "purchase",
    orderId: `woocommerce:${order.id}`,
    ...(occurredAt && { occurredAt }),
    customer,
    total: order.total,
    currency: order.currency,
    items: order.line_items.map((line) => ({
      sku: line.sku?.trim() || idText(line.variation_id) || idText(line.product_id) || String(line.id),
      // WooCommerce returns item names HTML-escaped ("Ship Your Idea &ndash; Black"); messages want text
      ...(line.name && { name: decodeEntities(line.name).slice(0, 500) }),
      quantity: line.quantity,
      price: typeof line.price === "number" ? amount(line.price, order.currency) : line.price,
    })),
    ...(couponCodes(order).length > 0 && { coupons: couponCodes(order) }),
    properties: { shop: "woocommerce", orderNumber: String(order.number ?? order.id), status: order.status },
  };
  const event = PurchaseEvent.safeParse(candidate);
  return event.success
    ? { kind: "purchase", event: event.data }
    : invalidOrder("mapped event", event.error.issues);
}

function customerOf(
  order: WooOrder,
  email: string | undefined,
  externalId?: string,
): PurchaseEvent["customer"] {
  const { billing, shipping } = order;
  const language = order.meta_data?.find((meta) => meta.key === "wpml_language")?.value;
  return customerDetails({
    ...(email && { email }),
    ...(externalId && { externalId }),
    name:
      fullName(billing?.first_name, billing?.last_name) ??
      fullName(shipping?.first_name, shipping?.last_name),
    phones: [billing?.phone, shipping?.phone],
    locales: [typeof language === "string" ? language : undefined],
    countries: [billing?.country, shipping?.country],
    addresses: [postalOf(shipping), postalOf(billing)],
  });
}

/** WooCommerce's `*_gmt` dates are UTC written without an offset. */
function asUtc(date: string | null | undefined): string | undefined {
  return date && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(date)
    ? `${date}Z`
    : (date ?? undefined);
}

/** A float price such as 5.454545 rounded to the currency's minor units, as stored ("5.45" in PLN, "5" in IDR). */
function amount(value: number, currency: string): string {
  return String(Number(value.toFixed(currencyDecimals(currency))));
}

function idText(id: number | null | undefined): string | undefined {
  return id ? String(id) : undefined;
}

/**
 * Checks `X-WC-Webhook-Signature`: the base64 HMAC-SHA256 of the raw body (bytes as received), keyed with
 * the secret set on the webhook in WooCommerce, compared in constant time. The ping carries no signature:
 * answer it by `isWooCommercePing` before checking. An empty secret verifies nothing.
 */
export function verifyWooCommerceSignature(
  secret: string,
  rawBody: Buffer,
  header: string | undefined,
): boolean {
  return Boolean(secret) && verifyHmac(secret, rawBody, header, "base64");
}

/** The codes of the order's `coupon_lines` (WooCommerce stores them lower-cased). */
function couponCodes(order: WooOrder): string[] {
  return (order.coupon_lines ?? []).map((c) => c.code.trim()).filter((c) => c.length > 0 && c.length <= 200);
}
