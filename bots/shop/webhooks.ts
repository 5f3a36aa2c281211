import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { captureEvent, type EventCaptureResult } from "../events.ts";
import type { ShopOrderResult } from "./order-result.ts";
import { normalizeShopifyOrder, SHOPIFY_HMAC_HEADER, verifyShopifyHmac } from "./shopify.ts";
import {
  isWooCommercePing,
  normalizeWooCommerceOrder,
  verifyWooCommerceSignature,
  WOOCOMMERCE_SIGNATURE_HEADER,
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
}

interface Platform {
  path: string;
  name: string;
  variable: string;
  secret?: string;
  header: string;
  verify: (secret: string, raw: Buffer, header: string | undefined) => boolean;
  normalize: (body: unknown) => ShopOrderResult<string>;
  isPing?: (body: unknown) => boolean;
}

/**
 * `POST /webhooks/shopify` (orders/create, orders/paid) and `POST /webhooks/woocommerce` (order.created,
 * order.updated): the platforms' own order payloads, verified by their HMAC headers, stored as purchase
 * events exactly like `POST /api/events`. Orders with nothing to store (unpaid, cancelled, no email) and
 * WooCommerce's unsigned ping get 200, so the platform keeps the webhook; a body we cannot read gets 422.
 */
export async function registerShopWebhooks(
  app: FastifyInstance,
  options: ShopWebhooksOptions,
): Promise<void> {
  const platforms: Platform[] = [
    {
      path: "/webhooks/shopify",
      name: "Shopify",
      variable: "SHOPIFY_WEBHOOK_SECRET",
      secret: options.shopifySecret,
      header: SHOPIFY_HMAC_HEADER,
      verify: verifyShopifyHmac,
      normalize: normalizeShopifyOrder,
    },
    {
      path: "/webhooks/woocommerce",
      name: "WooCommerce",
      variable: "WOOCOMMERCE_WEBHOOK_SECRET",
      secret: options.wooCommerceSecret,
      header: WOOCOMMERCE_SIGNATURE_HEADER,
      verify: verifyWooCommerceSignature,
      normalize: normalizeWooCommerceOrder,
      isPing: (body) => isWooCommercePing(body),
    },
  ];
  for (const platform of platforms) {
    app.post(platform.path, (request, reply) => handle(platform, options, request, reply));
  }
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
  if (
    !request.rawBody ||
    !platform.verify(platform.secret, request.rawBody, typeof header === "string" ? header : undefined)
  ) {
    request.log.warn({ platform: platform.name }, "shop webhook rejected: bad signature");
    return reply.status(401).send({
      error: "invalid_signature",
      message: `${platform.header} does not match: check that ${platform.variable} is the webhook's secret`,
    });
  }
  const result = platform.normalize(request.body);
  if (result.kind === "invalid") {
    request.log.warn(
      {
        platform: platform.name,
        issues: result.issues,
        body: request.rawBody.toString("utf8").slice(0, 4_096),
      },
      "shop webhook not understood",
    );
    return reply.status(422).send({ error: "invalid_body", message: result.message, issues: result.issues });
  }
  if (result.kind === "skipped") {
    request.log.info({ platform: platform.name, reason: result.reason }, result.message);
    return reply.status(200).send({ ok: true, skipped: result.reason, message: result.message });
  }
  const captured = await captureEvent(
    options.db,
    result.event,
    new Date(options.clock.now()),
    platform.name.toLowerCase(),
  );
  await options.onEvent(captured);
  return reply.status(200).send({ ok: true, id: captured.eventId, duplicate: captured.kind === "duplicate" });
}
