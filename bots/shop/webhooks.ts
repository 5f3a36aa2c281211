import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { jsonOnly, jsonOrForm } from "../../lib/http.ts";
import type { Logger } from "../../lib/logger.ts";
import { describeRoute, type NamedSchemas, type SignatureScheme } from "../../lib/openapi.ts";
import { captureEvent, type EventCaptureResult } from "../events.ts";
import { type InboundRetries, rawJson, recordInboundFailure } from "../inbound-failures.ts";
import { parseExactIds } from "./exact-json.ts";
import type { ShopOrderResult } from "./order-result.ts";
import { normalizeShopifyOrder, SHOPIFY_HMAC_HEADER, ShopifyOrder, verifyShopifyHmac } from "./shopify.ts";
import {
  isWooCommercePing,
  normalizeWooCommerceOrder,
  verifyWooCommerceSignature,
  WOOCOMMERCE_SIGNATURE_HEADER,
  WooOrder,
} from "./woocommerce.ts";

/** Dependencies of the shop webhooks. A platform whose secret is unset answers 404 saying how to enable it. */
export interface ShopWebhooksOptions {
  db: Db;
  clock: Clock;
  onEvent: (result: EventCaptureResult) => Promise<void>;
  /** The Shopify app's client secret (SHOPIFY_WEBHOOK_SECRET). */
  shopifySecret?: string;
  /** The secret set on the WooCommerce webhook (WOOCOMMERCE_WEBHOOK_SECRET). */
  wooCommerceSecret?: string;
  /**
   * Whether Shopify test orders (`"test": true`) trigger campaigns like real ones (SHOPIFY_TEST_ORDERS=send).
   * Defaults to false: they are stored, flagged, and no customer message is planned for them.
   */
  sendTestOrders?: boolean;
  /** Where each configured platform registers how its dead letters are retried. */
  retries?: InboundRetries;
  /** For the retries, which run outside a request. Defaults to no logging. */
  log?: Logger;
}

interface Platform {
  path: string;
  name: string;
  /** The dead letters' channel and the events' source: "shopify", "woocommerce". */
  source: string;
  variable: string;
  secret?: string;
  header: string;
  verify: (secret: string, raw: Buffer, header: string | undefined) => boolean;
  /** Reads the raw body. Shopify's ids pass 2^53, so its body is read with exact ids. */
  parse: (raw: Buffer | string) => unknown;
  normalize: (body: unknown) => ShopOrderResult<string>;
  isPing?: (body: unknown) => boolean;
  /** For the OpenAPI document: the signature scheme and the body schema `normalize` validates with. */
  scheme: SignatureScheme;
  body: NamedSchemas;
  subscribe: string;
}

/** What an order webhook came to. */
type OrderOutcome =
  | { kind: "invalid"; message: string; issues: { path: string; message: string }[] }
  | { kind: "skipped"; reason: string; message: string }
  | { kind: "captured"; captured: EventCaptureResult; test: boolean; triggered: boolean };

/**
 * `POST /webhooks/shopify` (orders/create, orders/paid) and `POST /webhooks/woocommerce` (order.created,
 * order.updated): the platforms' own order payloads, verified by their HMAC headers, stored as purchase
 * events exactly like `POST /api/events`. Orders with nothing to store (unpaid, cancelled, no email) and
 * WooCommerce's unsigned ping get 200, so the platform keeps the webhook; a body we cannot read gets 422 and
 * is kept in `InboundFailure`. An order that cannot be stored is kept there too and answered 200 (the
 * platform's retries would not fix it, and it stays retryable from the console); only when even that write
 * fails is the answer 503, so the platform delivers it again later. A Shopify test order is stored but
 * triggers nothing unless `sendTestOrders`.
 */
export async function registerShopWebhooks(
  app: FastifyInstance,
  options: ShopWebhooksOptions,
): Promise<void> {
  const platforms: Platform[] = [
    {
      path: "/webhooks/shopify",
      name: "Shopify",
      source: "shopify",
      variable: "SHOPIFY_WEBHOOK_SECRET",
      secret: options.shopifySecret,
      header: SHOPIFY_HMAC_HEADER,
      verify: verifyShopifyHmac,
      parse: parseExactIds,
      normalize: normalizeShopifyOrder,
      scheme: "shopifyHmac",
      body: { ShopifyOrder },
      subscribe: "orders/create and orders/paid (JSON)",
    },
    {
      path: "/webhooks/woocommerce",
      name: "WooCommerce",
      source: "woocommerce",
      variable: "WOOCOMMERCE_WEBHOOK_SECRET",
      secret: options.wooCommerceSecret,
      header: WOOCOMMERCE_SIGNATURE_HEADER,
      verify: verifyWooCommerceSignature,
      parse: (raw) => JSON.parse(raw.toString()),
      normalize: normalizeWooCommerceOrder,
      isPing: (body) => isWooCommercePing(body),
      scheme: "wooCommerceSignature",
      body: { WooOrder },
      subscribe:
        "order.created and order.updated (API v3); its unsigned ping (a form, webhook_id=…) is answered 200",
    },
  ];
  for (const platform of platforms) {
    // a signed body that is not JSON gets 415; WooCommerce's unsigned ping is a form
    const onRequest = platform.isPing ? jsonOrForm : jsonOnly;
    app.post(platform.path, { onRequest, config: shopWebhookDoc(platform) }, (request, reply) =>
      handle(platform, options, request, reply),
    );
    if (platform.secret) {
      options.retries?.register(platform.source, async (payload) => {
        const outcome = await processOrder(platform, options, platform.parse(payload));
        if (outcome.kind === "invalid") throw new Error(outcome.message);
        options.log?.info({ platform: platform.name, outcome: outcome.kind }, "shop webhook retried");
      });
    }
  }
}

/** What the OpenAPI document says of a shop's order webhook. */
function shopWebhookDoc(platform: Platform) {
  return describeRoute({
    summary: `${platform.name} order webhook`,
    description:
      `Subscribe to ${platform.subscribe}. A paid order is stored as a purchase event (order id ` +
      `\`${platform.source}:<id>\`, once however often it is redelivered); unpaid, cancelled or customer-less ` +
      "orders are answered 200 and logged.",
    tags: ["Shop webhooks"],
    auth: { signature: platform.scheme },
    body: platform.body,
    responses: {
      200: "Stored, already stored, skipped (with the reason), or kept for retry in InboundFailure",
      401: `Wrong or missing ${platform.header}; nothing stored`,
      404: `${platform.variable} is unset: the webhook is off`,
      415: "The Content-Type is not application/json",
      422: "Not an order body Rapport understands: `issues[].path` names the field; kept in InboundFailure",
      503: "The order could not be stored nor kept: deliver it again later",
    },
  });
}

async function processOrder(
  platform: Platform,
  options: ShopWebhooksOptions,
  body: unknown,
): Promise<OrderOutcome> {
  const result = platform.normalize(body);
  if (result.kind !== "purchase") return result;
  const captured = await captureEvent(
    options.db,
    result.event,
    new Date(options.clock.now()),
    platform.source,
  );
  // a test order is the shop owner trying the checkout: kept, flagged, and no customer is thanked for it
  const test = result.event.properties?.test === true;
  const triggered = !test || options.sendTestOrders === true;
  if (triggered) await options.onEvent(captured);
  return { kind: "captured", captured, test, triggered };
}

async function handle(
  platform: Platform,
  options: ShopWebhooksOptions,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (!platform.secret) {
    return reply.status(404).send({
      error: "not_configured",
      message: `${platform.name} webhooks are off: set ${platform.variable} to the webhook's secret`,
    });
  }
  // WooCommerce pings a new webhook unsigned and refuses to save it unless the answer is exactly 200
  if (platform.isPing?.(request.rawBody ?? request.body))
    return reply.status(200).send({ ok: true, ping: true });
  const header = request.headers[platform.header];
  const raw = request.rawBody;
  if (!raw || !platform.verify(platform.secret, raw, typeof header === "string" ? header : undefined)) {
    request.log.warn({ platform: platform.name }, "shop webhook rejected: bad signature");
    return reply.status(401).send({
      error: "invalid_signature",
      message: `${platform.header} does not match: check that ${platform.variable} is the webhook's secret`,
    });
  }
  const keep = (sourceKey: string | undefined, error: unknown) =>
    recordInboundFailure(
      options.db,
      { channel: platform.source, sourceKey, payload: rawJson(raw), error },
      new Date(options.clock.now()),
    );
  let outcome: OrderOutcome;
  try {
    outcome = await processOrder(platform, options, platform.parse(raw));
  } catch (error) {
    const orderId = orderIdIn(platform, raw);
    request.log.error({ platform: platform.name, err: error, orderId }, "shop order not stored");
    try {
      const kept = await keep(orderId, error);
      return reply
        .status(200)
        .send({ ok: false, kept: kept.id, message: "order not stored: kept for retry" });
    } catch (keepError) {
      request.log.error({ platform: platform.name, err: keepError }, "shop order not kept either");
      return reply.status(503).send({
        error: "unavailable",
        message: "the order could not be stored; deliver it again later",
      });
    }
  }
  if (outcome.kind === "invalid") {
    request.log.warn(
      { platform: platform.name, issues: outcome.issues, body: raw.toString("utf8").slice(0, 4_096) },
      "shop webhook not understood",
    );
    await keep(undefined, new Error(outcome.message)).catch((error: unknown) =>
      request.log.error({ platform: platform.name, err: error }, "unreadable shop webhook not kept"),
    );
    return reply
      .status(422)
      .send({ error: "invalid_body", message: outcome.message, issues: outcome.issues });
  }
  if (outcome.kind === "skipped") {
    request.log.info({ platform: platform.name, reason: outcome.reason }, outcome.message);
    return reply.status(200).send({ ok: true, skipped: outcome.reason, message: outcome.message });
  }
  const { captured, test, triggered } = outcome;
  if (!triggered)
    request.log.info({ platform: platform.name, eventId: captured.eventId }, "test order stored");
  return reply.status(200).send({
    ok: true,
    id: captured.eventId,
    duplicate: captured.kind === "duplicate",
    ...(test && { test, triggered }),
  });
}

/** The order's id ("shopify:<id>") when the body reads as an order: the dead letter's key. */
function orderIdIn(platform: Platform, raw: Buffer): string | undefined {
  try {
    const result = platform.normalize(platform.parse(raw));
    return result.kind === "purchase" ? result.event.orderId : undefined;
  } catch {
    return undefined;
  }
}
