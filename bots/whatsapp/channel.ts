import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../lib/errors.ts";
import type { Channel, OutboundMessage, SendOptions, SentMessage } from "../channel.ts";

/** WhatsApp's customer-service window: free-form messages only this long after the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Default Graph API root, with the version Rapport was written against. */
export const WHATSAPP_DEFAULT_API_ROOT = "https://graph.facebook.com/v21.0";

/** Options of {@link createWhatsAppChannel}. */
export interface WhatsAppChannelOptions {
  accessToken: string;
  phoneNumberId: string;
  /** Graph API root with its version. Defaults to {@link WHATSAPP_DEFAULT_API_ROOT}. */
  apiRoot?: string;
  /** Where the customer's last inbound WhatsApp message is looked up (the 24-hour window). */
  db: Db;
  clock: Clock;
}

/** Graph's error envelope. */
interface GraphError {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; fbtrace_id?: string };
}

/**
 * Meta's codes that mean "slow down" for the whole number, and how long the queue waits when Meta says nothing
 * (Graph sends no Retry-After): the number's throughput (130429, per second), its spam rate limit (131048),
 * the account's and the app's call limits (80007, 4: counted per hour).
 */
const RATE_LIMIT_WAIT_MS = new Map([
  [130429, 1_000],
  [131048, 60_000],
  [80007, 60_000],
  [4, 60_000],
]);

/**
 * WhatsApp through Meta's Cloud API. There is no maintained official Node SDK for it, so this is `fetch` with
 * the documented shapes: `POST {root}/{phone-number-id}/messages` with a Bearer token and
 * `{ messaging_product: "whatsapp", recipient_type: "individual", to, type: "text", text: { body, preview_url } }`,
 * or `type: "template"` with `{ name, language: { code }, components: [{ type: "body", parameters }] }`;
 * the answer's `messages[0].id` (a wamid) is the providerId that statuses come back with.
 *
 * Free-form text goes only inside the customer-service window: the customer's last WhatsApp message less than
 * 24 hours ago, checked before sending; outside it the send fails permanently saying a template is needed
 * (Meta would refuse it with 131047 anyway). A message carrying an approved `template` goes at any time.
 * The Cloud API takes 80 messages per second per phone number by default (the deliver queue keeps to it).
 * Meta's codes: the number's rate limits → `RateLimitedError` (the queue waits), one customer's pair rate
 * (131056) → transient, this message retried later; 131047 (re-engagement), 131026 (undeliverable, not a
 * WhatsApp user), 190 (token expired) and other 4xx → permanent; 5xx → transient. No idempotency key: the
 * deliverer sends at most once.
 */
export function createWhatsAppChannel(options: WhatsAppChannelOptions): Channel {
  const root = (options.apiRoot ?? WHATSAPP_DEFAULT_API_ROOT).replace(/\/+$/, "");
  const url = `${root}/${encodeURIComponent(options.phoneNumberId)}/messages`;
  return {
    name: "whatsapp",
    limit: { max: 80, durationMs: 1_000 },
    async send(message: OutboundMessage, _key: string, sendOptions?: SendOptions): Promise<SentMessage> {
      const context = { channel: "whatsapp", deliveryId: message.deliveryId };
      const template = message.template;
      if (!template) await requireWindow(options, message.to, context);
      const body = template
        ? {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to: message.to,
            type: "template",
            template: {
              name: template.name,
              language: { code: template.language },
              components: template.params.length
                ? [{ type: "body", parameters: template.params.map((text) => ({ type: "text", text })) }]
                : [],
            },
          }
        : {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to: message.to,
            type: "text",
            // a rating's five buttons are more than WhatsApp's three reply buttons: the text says how to answer
            text: { body: message.text, preview_url: false },
          };
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${options.accessToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          ...(sendOptions?.signal && { signal: sendOptions.signal }),
        });
      } catch (error) {
        const code = (error as { cause?: { code?: unknown } }).cause?.code;
        const refused = code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN";
        throw new TransientSendError(
          `WhatsApp unreachable: ${error instanceof Error ? error.message : String(error)}`,
          context,
          refused,
        );
      }
      const answer = (await response.json().catch(() => undefined)) as
        | (GraphError & { messages?: Array<{ id?: string }> })
        | undefined;
      if (response.ok) {
        const id = answer?.messages?.[0]?.id;
        if (!id) throw new TransientSendError("WhatsApp answered without a message id", context);
        return { providerId: id };
      }
      throw toSendError(response, answer, context);
    },
  };
}

async function requireWindow(
  options: WhatsAppChannelOptions,
  waId: string,
  context: { channel: string; deliveryId: string },
): Promise<void> {
  const last = await options.db.interaction.findFirst({
    where: {
      channel: "whatsapp",
      direction: "inbound",
      customer: { identities: { some: { channel: "whatsapp", externalId: waId } } },
    },
    orderBy: { sentAt: "desc" },
    select: { sentAt: true },
  });
  const since = last ? options.clock.now() - last.sentAt.getTime() : Number.POSITIVE_INFINITY;
  if (since >= SERVICE_WINDOW_MS) {
    throw new PermanentSendError(
      last
        ? `WhatsApp: the customer's last message was more than 24 hours ago (${last.sentAt.toISOString()}): outside the customer-service window only an approved template message may be sent`
        : "WhatsApp: the customer never wrote on WhatsApp: outside the 24-hour customer-service window only an approved template message may be sent",
      { ...context, providerCode: "outside_service_window" },
    );
  }
}

function toSendError(
  response: Response,
  answer: GraphError | undefined,
  context: { channel: string; deliveryId: string },
): Error {
  const code = answer?.error?.code;
  const text = answer?.error?.message ?? response.statusText;
  const providerCode = code === undefined ? String(response.status) : String(code);
  const ctx = { ...context, providerCode };
  // one customer's pair rate (about one message every 6 seconds to the same person): only this message waits,
  // retried with backoff, while the queue goes on for everyone else; Meta's error answer proves it was not sent
  if (code === 131056)
    return new TransientSendError(
      `WhatsApp 131056: too many messages to this customer at once: ${text}`,
      ctx,
      true,
    );
  const wait = code === undefined ? undefined : RATE_LIMIT_WAIT_MS.get(code);
  if (wait !== undefined || response.status === 429) {
    const seconds = Number(response.headers.get("retry-after"));
    return new RateLimitedError(
      Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : (wait ?? 1_000),
      ctx,
    );
  }
  if (code === 131047)
    return new PermanentSendError(
      `WhatsApp 131047: more than 24 hours since the customer's last message: an approved template message is needed (${text})`,
      ctx,
    );
  if (code === 131026)
    return new PermanentSendError(
      `WhatsApp 131026: message undeliverable (the number may not be on WhatsApp, or has not accepted the latest terms): ${text}`,
      ctx,
    );
  if (code === 190 || response.status === 401)
    return new PermanentSendError(
      `WHATSAPP_ACCESS_TOKEN was refused by Meta (${providerCode} ${text}): create a new token (a system user's permanent token) and set it in .env`,
      ctx,
    );
  if (response.status >= 500)
    return new TransientSendError(`WhatsApp ${response.status}: ${text}`, ctx, true);
  return new PermanentSendError(`WhatsApp ${providerCode}: ${text}`, ctx);
}
