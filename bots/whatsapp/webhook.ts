import { createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { readJsonBody } from "../../lib/http.ts";
import type { Logger } from "../../lib/logger.ts";
import { describeRoute } from "../../lib/openapi.ts";
import type { InboundHandler, InboundMessage } from "../inbound.ts";
import { type InboundRetries, recordInboundFailure } from "../inbound-failures.ts";
import { inboundMessages, WhatsAppNotification } from "./inbound.ts";
import { applyWhatsAppStatus, statusesOf } from "./statuses.ts";

/** Where Meta posts WhatsApp notifications: register `${PUBLIC_URL}/webhooks/whatsapp` in the app's dashboard. */
export const WHATSAPP_WEBHOOK_PATH = "/webhooks/whatsapp";

/** Dependencies of {@link registerWhatsAppWebhook}. */
export interface WhatsAppWebhookOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** WHATSAPP_APP_SECRET: the key of `X-Hub-Signature-256`. Unset: POST answers 503 saying so. */
  appSecret?: string;
  /** WHATSAPP_VERIFY_TOKEN: what Meta's verification GET must carry. Unset: verification answers 403. */
  verifyToken?: string;
  /** The conversation core. */
  onMessage: InboundHandler;
  /** Where WhatsApp registers how its dead letters (`InboundFailure`, channel "whatsapp") are retried. */
  retries?: InboundRetries;
}

const VERIFY_DOC = describeRoute({
  summary: "WhatsApp webhook verification",
  description:
    "Meta's handshake when the webhook is saved: answers `hub.challenge` when `hub.mode` is `subscribe` and " +
    "`hub.verify_token` is WHATSAPP_VERIFY_TOKEN.",
  tags: ["Platform webhooks"],
  auth: "public",
  query: {
    "hub.mode": { description: "Always `subscribe`", required: true },
    "hub.verify_token": {
      description: "WHATSAPP_VERIFY_TOKEN, as typed in Meta's dashboard",
      required: true,
    },
    "hub.challenge": { description: "What to answer", required: true },
  },
  responses: { 200: "The challenge, as plain text", 403: "Wrong or missing verify token" },
});

const NOTIFY_DOC = describeRoute({
  summary: "WhatsApp Business Cloud API notifications",
  description:
    "Customers' messages go to the conversation core; `statuses` (sent, delivered, read, failed) update the " +
    "Delivery with that wamid. The body is read raw and parsed only after `X-Hub-Signature-256` verifies. " +
    "Anything else Meta sends is answered 200, so Meta does not retry it.",
  tags: ["Platform webhooks"],
  auth: { signature: "hubSignature" },
  body: { WhatsAppNotification },
  responses: {
    200: "Applied, or acknowledged and ignored",
    401: "X-Hub-Signature-256 missing or wrong; nothing stored",
    503: "WHATSAPP_APP_SECRET is unset, or a message could be neither stored nor kept: Meta retries",
  },
});

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** True when `header` is `sha256=<hex HMAC-SHA256 of raw with secret>`, compared in constant time. */
export function verifyHubSignature(secret: string, raw: Buffer, header: string | undefined): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? "");
  if (!match) return false;
  const expected = createHmac("sha256", secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(match[1]!, "hex"));
}

/**
 * `GET /webhooks/whatsapp` (verification) and `POST /webhooks/whatsapp` (notifications, signed by Meta). A POST
 * whose signature does not verify gets 401 and stores nothing; a signed body Rapport does not understand gets
 * 200 (logged), so Meta stops retrying it. A message that could not be stored is kept as an InboundFailure
 * (retried from the console) and answered 200 too; only when even that fails the answer is 503 and Meta retries.
 * Redeliveries are harmless: a message is stored once by its wamid, and a status changes nothing twice.
 */
export async function registerWhatsAppWebhook(
  http: FastifyInstance,
  options: WhatsAppWebhookOptions,
): Promise<void> {
  const log = options.log.child({ component: "whatsapp-webhook" });
  options.retries?.register("whatsapp", async (payload) => {
    const kept = JSON.parse(payload) as InboundMessage & { sentAt: string };
    await options.onMessage({ ...kept, sentAt: new Date(kept.sentAt) });
  });
  await http.register(async (scope) => {
    // the signature covers the exact bytes: take them raw, whatever the content type, and parse after verifying
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
    scope.get(WHATSAPP_WEBHOOK_PATH, { config: VERIFY_DOC }, (request, reply) =>
      verify(options, request, reply),
    );
    scope.post(WHATSAPP_WEBHOOK_PATH, { config: NOTIFY_DOC }, (request, reply) =>
      notify(options, log, request, reply),
    );
  });
}

function verify(options: WhatsAppWebhookOptions, request: FastifyRequest, reply: FastifyReply) {
  const query = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  const token = first(query["hub.verify_token"]);
  const challenge = first(query["hub.challenge"]) ?? "";
  const expected = options.verifyToken;
  // compared as bytes: "é" and "a" are one character each but not one byte each (timingSafeEqual would throw)
  const given = Buffer.from(token ?? "");
  const wanted = Buffer.from(expected ?? "");
  const same =
    expected !== undefined &&
    token !== undefined &&
    given.length === wanted.length &&
    timingSafeEqual(given, wanted);
  if (first(query["hub.mode"]) !== "subscribe" || !same) {
    return reply.status(403).type("text/plain").send("verify token mismatch: check WHATSAPP_VERIFY_TOKEN");
  }
  return reply.status(200).type("text/plain").send(challenge);
}

async function notify(
  options: WhatsAppWebhookOptions,
  log: Logger,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (!options.appSecret) {
    return reply.status(503).send({
      error: "not_configured",
      message:
        "WhatsApp webhooks are off: set WHATSAPP_APP_SECRET to the Meta app's secret (App settings → Basic)",
    });
  }
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (!verifyHubSignature(options.appSecret, raw, first(request.headers["x-hub-signature-256"]))) {
    log.warn({ bytes: raw.length }, "WhatsApp webhook rejected: bad signature");
    return reply.status(401).send({
      error: "invalid_signature",
      message: "X-Hub-Signature-256 does not match: check that WHATSAPP_APP_SECRET is the app's secret",
    });
  }
  const read = readJsonBody(raw);
  const parsed = read.ok ? WhatsAppNotification.safeParse(read.value) : undefined;
  if (!parsed?.success || parsed.data.object !== "whatsapp_business_account") {
    log.warn({ body: raw.toString("utf8").slice(0, 4_096) }, "WhatsApp notification not understood");
    return reply.status(200).send({ ok: true, outcome: "ignored" });
  }
  const notification = parsed.data;
  let kept = 0;
  for (const normalised of inboundMessages(notification)) {
    if (!normalised.ok) {
      log.info({ reason: normalised.reason }, "WhatsApp message skipped");
      continue;
    }
    const message = normalised.message;
    try {
      await options.onMessage(message);
    } catch (error) {
      log.error({ wamid: message.externalId, err: error }, "WhatsApp message not stored");
      try {
        await recordInboundFailure(
          options.db,
          { channel: "whatsapp", sourceKey: message.externalId, payload: message, error },
          new Date(options.clock.now()),
        );
        kept += 1;
      } catch (keepError) {
        log.error(
          { wamid: message.externalId, err: keepError },
          "WhatsApp message not kept either: Meta will retry",
        );
        return reply.status(503).send({ error: "unavailable", message: "the message could not be stored" });
      }
    }
  }
  for (const status of statusesOf(notification)) {
    const outcome = await applyWhatsAppStatus(options.db, status);
    log.debug({ wamid: status.id, status: status.status, outcome }, "WhatsApp status");
  }
  return reply.status(200).send({ ok: true, ...(kept > 0 && { kept }) });
}
