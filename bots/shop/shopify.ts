import { z } from "zod";
import { verifyHmac } from "../../lib/signature.ts";
import { PurchaseEvent } from "../events.ts";
import { referrerHost, utmOf } from "../first-touch.ts";
import {
  customerDetails,
  fullName,
  ifValid,
  invalidOrder,
  isEmail,
  type ShopOrderResult,
} from "./order-result.ts";

/** The header carrying the base64 HMAC-SHA256 of the raw body, keyed with the app's client secret. */
export const SHOPIFY_HMAC_HEADER = "x-shopify-hmac-sha256";

/**
 * What a Shopify order webhook amounts to:
 * - `purchase`: a paid order, as the event `POST /api/events` would accept;
 * - `skipped`: a well-formed order with nothing to store yet or ever (`not_paid`: pending or only
 *   authorized, it arrives again with `orders/paid`; `cancelled`: cancelled, voided, refunded or expired;
 *   `no_customer`: no email, phone or customer id to tie it to a customer). Answer 200 so Shopify does not retry it;
 * - `invalid`: not an order body we understand, with the fields at fault.
 */
export type ShopifyOrderResult = ShopOrderResult<"not_paid" | "cancelled" | "no_customer">;

const Text = z.string().nullish();
// Shopify ids are 64-bit: past 2^53 JSON.parse has already rounded them, so no `.int()` (it refuses those)
// and `idText` uses only the exact ones.
const Id = z.union([z.number().nonnegative(), z.string().regex(/^\d+$/)]);
const Address = z
  .looseObject({
    first_name: Text,
    last_name: Text,
    phone: Text,
    address1: Text,
    address2: Text,
    city: Text,
    zip: Text,
    province: Text,
    country_code: Text,
  })
  .nullish()
  .catch(null);

/** A Shopify address in the event's fields (invalid or empty ones are dropped by `customerDetails`). */
const postalOf = (a: z.infer<typeof Address>) =>
  a && {
    line1: a.address1 ?? undefined,
    line2: a.address2 ?? undefined,
    city: a.city ?? undefined,
    postalCode: a.zip ?? undefined,
    region: a.province ?? undefined,
    country: a.country_code ?? undefined,
  };

const ShopifyLineItem = z.looseObject({
  id: Id,
  admin_graphql_api_id: Text,
  sku: Text,
  variant_id: Id.nullish(),
  product_id: Id.nullish(),
  title: Text,
  name: Text,
  quantity: z.number().int(),
  price: z.string(),
});

/** A Shopify order webhook body, as far as Rapport reads it (the rest passes through). */
export const ShopifyOrder = z.looseObject({
  id: Id,
  admin_graphql_api_id: Text,
  name: Text,
  created_at: z.string(),
  processed_at: Text,
  cancelled_at: Text,
  currency: z.string(),
  total_price: z.string(),
  email: Text,
  contact_email: Text,
  phone: Text,
  customer_locale: Text,
  financial_status: Text,
  test: z.boolean().nullish(),
  customer: z
    .looseObject({
      // the shop's customer id; `admin_graphql_api_id` holds its digits exactly when `id` is too large
      id: Id.nullish().catch(null),
      admin_graphql_api_id: Text,
      email: Text,
      first_name: Text,
      last_name: Text,
      phone: Text,
      locale: Text,
      // email marketing consent; `accepts_marketing` and its `_updated_at` on older API versions
      email_marketing_consent: z
        .looseObject({ state: Text, opt_in_level: Text, consent_updated_at: Text })
        .nullish()
        .catch(null),
      accepts_marketing: z.boolean().nullish().catch(null),
      accepts_marketing_updated_at: Text,
      default_address: Address,
    })
    .nullish(),
  billing_address: Address,
  shipping_address: Address,
  line_items: z.array(ShopifyLineItem),
  // codes used at checkout; first touch of the visit that placed the order (storefront orders only)
  discount_codes: z
    .array(z.looseObject({ code: z.string() }))
    .nullish()
    .catch(null),
  landing_site: Text.catch(null),
  referring_site: Text.catch(null),
  source_name: Text.catch(null),
});

type ShopifyOrder = z.infer<typeof ShopifyOrder>;

/** Money is in; `partially_refunded` was paid first. */
const PAID = new Set(["paid", "partially_paid", "partially_refunded"]);
/** Money will not come or went back. Anything else (`pending`, `authorized`, new values) is not paid yet. */
const GONE = new Set(["voided", "refunded", "expired"]);

const OccurredAt = PurchaseEvent.shape.occurredAt;

/**
 * Maps a Shopify `orders/create` or `orders/paid` webhook body (REST Admin API Order) to a purchase.
 *
 * Rules:
 * - counts only when `financial_status` is paid, partially_paid or partially_refunded and the order is not
 *   cancelled, so subscribe to both topics: an order paid later arrives with `orders/paid`;
 * - `orderId` is `shopify:<id>`, the stable numeric id (digits taken from `admin_graphql_api_id` when
 *   present, since larger ids lose precision in JSON.parse); the display `name` ("#1001") goes to properties;
 * - `occurredAt` is `processed_at` (the date Shopify reports the sale on), else `created_at`;
 * - the customer: `customer.id` as `externalId` `shopify:<id>` (the shop's own id, trusted first), the
 *   order's `email`, else `contact_email`, else `customer.email`, and the phone below; none of the three
 *   means `no_customer`;
 * - name from `customer` first/last name, else the billing address; locale from `customer_locale`, else
 *   `customer.locale`, passed through ("pl-PL" stays "pl-PL") and dropped if not a language tag;
 * - phone: the first of order, customer, billing and shipping phones that is E.164 once spaces, dots,
 *   dashes and brackets are removed; national numbers ("601 234 567") are dropped, not guessed;
 * - country from the billing, else shipping `country_code`;
 * - total `total_price` and item `price` as strings in the shop `currency` (not the presentment currency);
 * - item sku: `sku`, else `variant_id`, else `product_id`, else the line item's own id (custom items);
 *   item name: `name` (title with variant), else `title`;
 * - properties: `{ shop: "shopify", orderName, financialStatus, test }`; test orders are kept, flagged.
 */
export function normalizeShopifyOrder(payload: unknown): ShopifyOrderResult {
  const parsed = ShopifyOrder.safeParse(payload);
  if (!parsed.success) return invalidOrder("Shopify order", parsed.error.issues);
  const order = parsed.data;
  const status = order.financial_status ?? "(none)";
  if (order.cancelled_at || GONE.has(status)) {
    const why = order.cancelled_at ? `was cancelled at ${order.cancelled_at}` : `is ${status}`;
    return { kind: "skipped", reason: "cancelled", message: `order ${order.name ?? order.id} ${why}` };
  }
  if (!PAID.has(status)) {
    const message = `financial_status "${status}" is not paid yet; the order counts when orders/paid arrives`;
    return { kind: "skipped", reason: "not_paid", message };
  }
  const email = [order.email, order.contact_email, order.customer?.email]
    .map((candidate) => candidate?.trim())
    .find(isEmail);
  const shopCustomer = order.customer
    ? (gidTail(order.customer.admin_graphql_api_id) ?? idText(order.customer.id ?? undefined))
    : undefined;
  const customer = customerOf(order, email, shopCustomer && `shopify:${shopCustomer}`);
  if (!customer.email && !customer.phone && !customer.externalId) {
    const message = `order ${order.name ?? order.id} names no customer (no email, E.164 phone or customer id): nothing to tie it to`;
    return { kind: "skipped", reason: "no_customer", message };
  }
  const orderId = orderIdOf(order);
  if (!orderId) {
    const message = "id is too large to read exactly and admin_graphql_api_id is missing";
    return invalidOrder("Shopify order", [{ path: ["id"], message }]);
  }
  const occurredAt = ifValid(OccurredAt, order.processed_at) ?? ifValid(OccurredAt, order.created_at);
  const candidate = {
    type: "purchase",
    orderId: `shopify:${orderId}`,
    ...(occurredAt && { occurredAt }),
    customer,
    total: order.total_price,
    currency: order.currency,
    items: order.line_items.map(itemOf),
    ...(codesOf(order).length > 0 && { coupons: codesOf(order) }),
    properties: {
      shop: "shopify",
      orderName: order.name ?? null,
      financialStatus: status,
      test: order.test === true,
    },
  };
  const event = PurchaseEvent.safeParse(candidate);
  return event.success
    ? { kind: "purchase", event: event.data }
    : invalidOrder("mapped event", event.error.issues);
}

function itemOf(line: z.infer<typeof ShopifyLineItem>) {
  const sku =
    line.sku?.trim() ||
    idText(line.variant_id) ||
    idText(line.product_id) ||
    gidTail(line.admin_graphql_api_id) ||
    idText(line.id);
  const name = (line.name || line.title)?.slice(0, 500);
  return { sku, ...(name && { name }), quantity: line.quantity, price: line.price };
}

/**
 * The customer's email marketing consent as Shopify has it: `subscribed` is granted and `unsubscribed`
 * denied, at `consent_updated_at`, with the opt-in level as evidence; `not_subscribed`, `pending` (Shopify's
 * own double opt-in not yet confirmed) and others say nothing. Older payloads: `accepts_marketing: true` is
 * granted at `accepts_marketing_updated_at` (false cannot tell "never asked" from "refused": nothing).
 */
function consentOf(order: ShopifyOrder): PurchaseEvent["customer"]["consent"] {
  const customer = order.customer;
  const iso = (value: string | null | undefined) =>
    value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined;
  const consent = customer?.email_marketing_consent;
  const status =
    consent?.state === "subscribed" ? "granted" : consent?.state === "unsubscribed" ? "denied" : undefined;
  if (status) {
    const at = iso(consent?.consent_updated_at);
    return {
      email: {
        status,
        source: "shopify",
        ...(at && { at }),
        evidence: {
          field: "email_marketing_consent",
          state: consent!.state!,
          ...(consent?.opt_in_level && { opt_in_level: consent.opt_in_level }),
          ...(order.id !== undefined && { order: String(orderIdOf(order) ?? "") }),
        },
      },
    };
  }
  if (!consent && customer?.accepts_marketing === true) {
    const at = iso(customer.accepts_marketing_updated_at);
    return {
      email: {
        status: "granted",
        source: "shopify",
        ...(at && { at }),
        evidence: { field: "accepts_marketing", order: String(orderIdOf(order) ?? "") },
      },
    };
  }
  return undefined;
}

function customerOf(
  order: ShopifyOrder,
  email: string | undefined,
  externalId?: string,
): PurchaseEvent["customer"] {
  const { customer, billing_address: billing, shipping_address: shipping } = order;
  const consent = email ? consentOf(order) : undefined;
  const details = customerDetails({
    ...(email && { email }),
    ...(externalId && { externalId }),
    name:
      fullName(customer?.first_name, customer?.last_name) ??
      fullName(billing?.first_name, billing?.last_name),
    phones: [order.phone, customer?.phone, billing?.phone, shipping?.phone],
    locales: [order.customer_locale, customer?.locale],
    countries: [billing?.country_code, shipping?.country_code],
    addresses: [postalOf(customer?.default_address), postalOf(shipping), postalOf(billing)],
  });
  const firstTouch = firstTouchOf(order);
  return { ...details, ...(consent && { consent }), ...(firstTouch && { firstTouch }) };
}

function codesOf(order: ShopifyOrder): string[] {
  return (order.discount_codes ?? [])
    .map((d) => d.code.trim())
    .filter((c) => c.length > 0 && c.length <= 200);
}

/**
 * The order's visit as a first touch: `landing_site` (a path whose `utm_*` name the source), `referring_site`,
 * and `source_name` (web, pos, an app) as the medium when no tag says otherwise. The order time is when.
 */
function firstTouchOf(order: ShopifyOrder): PurchaseEvent["customer"]["firstTouch"] {
  const landing = order.landing_site?.trim().slice(0, 2_000) || undefined;
  const referrer = order.referring_site?.trim().slice(0, 2_000) || undefined;
  const sourceName = order.source_name?.trim().slice(0, 200) || undefined;
  if (!landing && !referrer && !sourceName) return undefined;
  const tagged = utmOf(landing).medium ?? (referrerHost(referrer) ? "referral" : undefined);
  const at = ifValid(OccurredAt, order.processed_at) ?? ifValid(OccurredAt, order.created_at);
  return {
    ...(landing && { landingPage: landing }),
    ...(referrer && { referrer }),
    ...(!tagged && sourceName && { medium: sourceName }),
    ...(at && { at }),
  };
}

function orderIdOf(order: ShopifyOrder): string | undefined {
  return gidTail(order.admin_graphql_api_id) ?? idText(order.id);
}

/** The digits of `gid://shopify/<Type>/<digits>`, exact even where the numeric id is not. */
function gidTail(gid: string | null | undefined): string | undefined {
  return gid ? /^gid:\/\/shopify\/\w+\/(\d+)$/.exec(gid)?.[1] : undefined;
}

function idText(id: number | string | null | undefined): string | undefined {
  if (typeof id === "string") return id;
  return typeof id === "number" && Number.isSafeInteger(id) && id > 0 ? String(id) : undefined;
}

/**
 * Checks `X-Shopify-Hmac-Sha256`: the base64 HMAC-SHA256 of the raw body (bytes as received, before any
 * JSON parsing), keyed with the app's client secret, compared in constant time. An empty secret verifies
 * nothing.
 */
export function verifyShopifyHmac(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  return Boolean(secret) && verifyHmac(secret, rawBody, header, "base64");
}
