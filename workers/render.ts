import { consentEntry } from "../bots/consent.ts";
import { type Channel, type OutboundMessage, unsubscribeToken, unsubscribeUrl } from "../bots/index.ts";
import { type ChannelName, toLocale } from "../lib/channels.ts";
import { validZone } from "../lib/zoned-time.ts";
import type { TemplateStore } from "../templates/index.ts";
import { authorOf } from "./deliver-record.ts";

/** What rendering needs beyond the Delivery: the templates, and how to sign unsubscribe links. */
export interface RenderDeps {
  templates: TemplateStore;
  /** Where customers reach this server (unsubscribe links), without a trailing slash. */
  publicUrl: string;
  /** HMAC key of unsubscribe links. */
  unsubscribeSecret: string;
}

/** A Delivery as rendering needs it. */
export interface RenderedDelivery {
  id: string;
  kind: "marketing" | "transactional";
  channel: ChannelName;
  customerId: string;
  template: string | null;
  locale: string | null;
  data: unknown;
  recipient: string | null;
  /** `consent` (Customer.consent) tells the email footer on what basis marketing is sent. */
  customer: { timezone: string | null; consent?: unknown };
}

/**
 * Why a marketing message may go to the customer, for the footer: `granted` with when and how, or
 * `not_objected` when it goes without consent (the send-time check allowed it, so the policy is opt-out).
 */
export function consentBasis(
  consent: unknown,
  channel: ChannelName,
): { basis: "granted"; at: string; via: string } | { basis: "not_objected" } {
  const entry = consentEntry(consent, channel);
  return entry?.status === "granted"
    ? { basis: "granted", at: entry.at, via: entry.via }
    : { basis: "not_objected" };
}

/**
 * The message of a Delivery, ready for its channel: a campaign template rendered in the customer's locale
 * and timezone, or the text of a bot or staff reply, then shaped by the channel's own hook
 * (`channel.prepare`: email threads replies and adds the RFC 8058 `List-Unsubscribe` headers). Marketing
 * carries a signed unsubscribe link (`links.unsubscribe`). Rendering is deterministic (everything
 * time-dependent is in the Delivery's data), so a retried batch sends the same bytes. `thread` is what
 * `channel.threadFor` found for a written reply's conversation (email: the customer's last email there).
 * @throws TemplateError when the template does not render.
 */
export function renderDelivery(
  deps: RenderDeps,
  channel: Channel,
  delivery: RenderedDelivery,
  thread?: unknown,
): OutboundMessage {
  const to = delivery.recipient ?? "";
  const timeZone = validZone(delivery.customer.timezone);
  if (!delivery.template) {
    const message = directMessage(delivery.id, to, delivery.data);
    if (!channel.prepare) return message;
    return channel.prepare(message, {
      kind: "reply",
      locale: delivery.locale,
      timeZone,
      automatic: authorOf(delivery.data).author === "bot",
      ...(thread !== undefined && { thread }),
    });
  }
  const data = { ...(delivery.data as Record<string, unknown>) };
  let unsubscribe: string | undefined;
  if (delivery.kind === "marketing") {
    const token = unsubscribeToken(deps.unsubscribeSecret, {
      customerId: delivery.customerId,
      channel: channel.name,
      deliveryId: delivery.id,
    });
    unsubscribe = unsubscribeUrl(deps.publicUrl, token);
    data.links = { ...(data.links as Record<string, unknown> | undefined), unsubscribe };
    data.consentBasis = consentBasis(delivery.customer.consent, delivery.channel);
  }
  const rendered = deps.templates.render(delivery.template, channel.name, delivery.locale ?? "en", data, {
    timezone: timeZone,
  });
  const template = approvedTemplate(deps, channel, data, delivery.locale, timeZone);
  const message: OutboundMessage = {
    deliveryId: delivery.id,
    to,
    text: rendered.text,
    subject: rendered.subject,
    html: rendered.html,
    ...(template && { template }),
    ...(typeof data.max_segments === "number" && { maxSegments: data.max_segments }),
  };
  if (!channel.prepare) return message;
  return channel.prepare(message, {
    kind: "template",
    locale: delivery.locale,
    timeZone,
    automatic: false,
    ...(unsubscribe !== undefined && { unsubscribeUrl: unsubscribe }),
  });
}

/** How a campaign message names the template its channel's provider approved: `<channel>_template`. */
interface ApprovedTemplateSpec {
  name: string;
  language: Partial<Record<string, string>>;
  params?: string[];
}

/**
 * The provider-approved template a campaign message goes as on this channel (`whatsapp_template` in the
 * campaign's message, carried in the data), its language the customer's locale's code (else en's, else the
 * first) and its parameters rendered from the same data as the message. None when the message has none.
 */
function approvedTemplate(
  deps: RenderDeps,
  channel: Channel,
  data: Record<string, unknown>,
  locale: string | null,
  timeZone: string,
): OutboundMessage["template"] | undefined {
  const key = `${channel.name}_template`;
  const spec = data[key] as ApprovedTemplateSpec | undefined;
  if (!spec || typeof spec !== "object" || typeof spec.name !== "string") return undefined;
  const languages = spec.language ?? {};
  const language = languages[toLocale(locale)] ?? languages.en ?? Object.values(languages)[0] ?? "en";
  const params = (spec.params ?? []).map((param, i) =>
    deps.templates.renderText(param, channel.name, locale ?? "en", data, {
      timezone: timeZone,
      where: `${key}.params[${i}]`,
    }),
  );
  return { name: spec.name, language, params };
}

/** A reply written by the bot or staff: its text is in the Delivery's data, no template. */
function directMessage(deliveryId: string, to: string, data: unknown): OutboundMessage {
  const reply = (data ?? {}) as {
    text?: string;
    replyTo?: string | null;
    buttons?: OutboundMessage["buttons"] | null;
  };
  return {
    deliveryId,
    to,
    text: reply.text ?? "",
    ...(reply.replyTo ? { replyTo: reply.replyTo } : {}),
    ...(reply.buttons ? { buttons: reply.buttons } : {}),
  };
}
