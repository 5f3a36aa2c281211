import { type Channel, unsubscribeToken, unsubscribeUrl } from "../bots/index.ts";
import { type SmsSegments, smsSegments } from "../bots/sms/segments.ts";
import { type CompiledCampaign, respondsOnOf } from "../campaigns/index.ts";
import { type Locale, type SendingChannelName, toLocale } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { TemplateError } from "../lib/errors.ts";
import { validZone } from "../lib/zoned-time.ts";
import type { TemplateStore } from "../templates/index.ts";
import type { Audiences } from "./audiences.ts";
import { variantOf } from "./buckets.ts";
import { triggerMatches } from "./events.ts";
import { derivedData, messageOf } from "./message-data.ts";
import { PLAN_CUSTOMER_SELECT, planMessage, sendTime } from "./planner.ts";
import { type RenderDeps, renderDelivery } from "./render.ts";
import { type Brand, buildTemplateData, templateEvent } from "./template-data.ts";

/** The Delivery id a preview's unsubscribe link is signed with: a preview has no Delivery. */
export const PREVIEW_DELIVERY_ID = "00000000-0000-0000-0000-000000000000";

/** What a preview needs: rendering (templates, link secret, public URL), the brand and a clock. */
export interface PreviewDeps extends RenderDeps {
  brand: Brand;
  clock: Clock;
  /** To tell whether the customer is in the campaign's audience now. Without it, that is not checked. */
  audiences?: Audiences;
}

/** Choices of one preview. */
export interface PreviewOptions {
  /** Render for this channel instead of the one the planner would pick. */
  channel?: SendingChannelName;
  /** Render in this locale (any BCP 47 tag) instead of the customer's. */
  locale?: string;
}

/** Why the previewed customer would get nothing if the campaign ran now. */
export type PreviewSkip = "holdout" | "no_channel" | "opted_out" | "no_consent" | "not_in_audience";

/** One campaign message as one customer would get it, rendered and sent nowhere. */
export interface MessagePreview {
  kind: "preview";
  campaign: { id: string; name: string; kind: "marketing" | "transactional" };
  /** The customer; `timezone` is the one messages are timed and dated in (UTC when theirs is unknown). */
  customer: { id: string; name: string | null; email: string | null; locale: string; timezone: string };
  channel: SendingChannelName;
  /** The address or chat id on that channel; null when the customer has none there. */
  recipient: string | null;
  /** The locale asked for: the customer's (or the forced one), as a supported locale. */
  locale: Locale;
  /** The locale the template was rendered in: `locale`, or `en` when the template lacks it. */
  renderedLocale: Locale;
  /** The customer's A/B group: a variant's name, "holdout", or null without a test. */
  variant: string | null;
  /** The variant whose message is shown (the first one for the hold-out group, which gets nothing). */
  shownVariant: string | null;
  template: string;
  /** Why the customer would get nothing now (the message is shown anyway), or null. */
  wouldSkip: PreviewSkip | null;
  /** When the message would be due if the campaign ran now (delay and quiet hours applied). */
  scheduledAt: Date;
  /** The triggering event used for the data (the customer's latest matching one), for event campaigns. */
  event: { id: string; type: string; occurredAt: Date } | null;
  subject?: string;
  text: string;
  html?: string;
  /** The signed unsubscribe link in the message (marketing only). It works: it would opt the customer out. */
  unsubscribeUrl?: string;
  /** On SMS: the text's encoding and segment count, and the campaign's `limits.max_segments` when set. */
  segments?: SmsSegments & { max?: number };
}

/** What {@link previewMessage} found: a preview, or why there is none. */
export type PreviewResult =
  | MessagePreview
  | { kind: "unknown_campaign"; campaignId: string }
  | { kind: "unknown_customer"; customerId: string }
  | RenderErrorResult;

/**
 * Why a preview could not be rendered, for people: the customer has no triggering event (`no_event`; for a
 * purchase, no order), the data lacks a field the template shows, there is no template for the channel,
 * or something else (`other`). `message` is the technical explanation, with file and line.
 */
export interface RenderErrorResult {
  kind: "render_error";
  cause: "no_event" | "missing_field" | "no_template" | "other";
  message: string;
  /**
   * The triggering event's type (no_event), the missing field's path (missing_field, when the template
   * error names it), the channel (no_template).
   */
  subject?: string;
}

const MISSING = /^\{\{([^}]+)\}\} is not in the data|^([@\w./-]+) cannot be read because/;

/** The cause of a template error in a preview: what the marketer can do something about. */
function renderErrorOf(
  error: TemplateError,
  campaign: CompiledCampaign,
  hasEvent: boolean,
  channel: SendingChannelName,
): RenderErrorResult {
  const trigger = campaign.trigger;
  if (trigger.kind === "event" && !hasEvent) {
    const hint = ` (this campaign runs on ${trigger.event} events and the customer has none: the data has no event${trigger.event === "purchase" ? " nor order" : ""})`;
    return {
      kind: "render_error",
      cause: "no_event",
      message: `${error.message}${hint}`,
      subject: trigger.event,
    };
  }
  const missing = MISSING.exec(error.reason);
  if (missing)
    return {
      kind: "render_error",
      cause: "missing_field",
      message: error.message,
      subject: missing[1] ?? missing[2],
    };
  // a helper given nothing (`{{number discount}}` without discount) cannot tell which field it was
  if (error.reason.includes("(the field is missing)"))
    return { kind: "render_error", cause: "missing_field", message: error.message };
  if (/^no ".*" template for /.test(error.reason))
    return { kind: "render_error", cause: "no_template", message: error.message, subject: channel };
  return { kind: "render_error", cause: "other", message: error.message };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id of the customer `ref` names: a customer id, or an email address (any case). A customer merged into
 * another resolves to the one they were merged into.
 */
export async function findCustomerId(db: Db, ref: string): Promise<string | undefined> {
  const where = UUID.test(ref) ? { id: ref.toLowerCase() } : { email: ref.trim().toLowerCase() };
  const found = await db.customer.findFirst({ where, select: { id: true, mergedIntoId: true } });
  return found ? (found.mergedIntoId ?? found.id) : undefined;
}

/**
 * Renders a campaign's message for one customer exactly as the planner and deliverer would (channel,
 * variant, locale, data, unsubscribe link), writing nothing and sending nothing: unique coupons show as
 * `<PREFIX>-PREVIEW`, an event campaign uses the customer's latest matching event. `campaign` is a compiled
 * campaign (a file not shipped yet) or the id of a shipped one (its current version).
 */
export async function previewMessage(
  db: Db,
  deps: PreviewDeps,
  campaign: string | CompiledCampaign,
  customerId: string,
  options: PreviewOptions = {},
): Promise<PreviewResult> {
  const compiled = typeof campaign === "string" ? await shippedCampaign(db, campaign) : campaign;
  if (!compiled) return { kind: "unknown_campaign", campaignId: campaign as string };
  const customer = UUID.test(customerId)
    ? await db.customer.findUnique({
        where: { id: customerId },
        select: PLAN_CUSTOMER_SELECT,
      })
    : null;
  if (!customer) return { kind: "unknown_customer", customerId };
  const now = new Date(deps.clock.now());
  const event = await triggeringEvent(db, compiled, customer.id);
  const planned = options.channel ? { ...compiled, channels: [options.channel] } : compiled;
  const decision = planMessage({
    campaign: planned,
    customer: {
      ...customer,
      locale: options.locale ?? customer.locale,
      respondsOn: await respondsOnOf(db, customer.id),
    },
    occurredAt: event?.occurredAt ?? now,
    now,
  });
  const zone = validZone(customer.timezone);
  const variant = variantOf(compiled, customer.id);
  const message = messageOf(compiled, variant);
  const scheduledAt = sendTime(decision, compiled, zone, now);
  const coupons = Object.fromEntries(message.coupons.map((slot) => [slot.key, `${slot.prefix}-PREVIEW`]));
  const data = buildTemplateData({
    data: { ...message.data, ...coupons, ...derivedData(message.data, scheduledAt, zone) },
    customer,
    brand: deps.brand,
    event: event ? templateEvent(event) : undefined,
  });
  const inAudience = deps.audiences ? await deps.audiences.includes(db, compiled, customer.id, now) : true;
  const recipient = decision.kind === "ready" ? decision.recipient : null;
  const locale = toLocale(decision.locale);
  let renderedLocale: Locale = locale;
  const recording: TemplateStore = {
    ...deps.templates,
    render(...args) {
      const rendered = deps.templates.render(...args);
      renderedLocale = rendered.locale;
      return rendered;
    },
  };
  let rendered: ReturnType<typeof renderDelivery>;
  try {
    rendered = renderDelivery({ ...deps, templates: recording }, previewChannel(decision.channel), {
      id: PREVIEW_DELIVERY_ID,
      kind: compiled.kind,
      channel: decision.channel,
      customerId: customer.id,
      template: message.template,
      locale: decision.locale,
      data,
      recipient,
      customer: { timezone: zone },
    });
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    return renderErrorOf(error, compiled, event !== null, decision.channel);
  }
  return {
    kind: "preview",
    campaign: { id: compiled.id, name: compiled.name, kind: compiled.kind },
    customer: {
      id: customer.id,
      name: customer.name,
      email: customer.email,
      locale: customer.locale,
      timezone: zone,
    },
    channel: decision.channel,
    recipient,
    locale,
    renderedLocale,
    variant,
    shownVariant: message.variant,
    template: message.template,
    wouldSkip: !inAudience
      ? "not_in_audience"
      : variant === "holdout"
        ? "holdout"
        : decision.kind === "skipped"
          ? decision.reason
          : null,
    scheduledAt,
    event: event ? { id: event.id, type: event.type, occurredAt: event.occurredAt } : null,
    ...(rendered.subject !== undefined && { subject: rendered.subject }),
    text: rendered.text,
    ...(rendered.html !== undefined && { html: rendered.html }),
    ...(decision.channel === "sms" && {
      segments: {
        ...smsSegments(rendered.text),
        ...(compiled.limits.maxSegments !== undefined && { max: compiled.limits.maxSegments }),
      },
    }),
    ...(compiled.kind === "marketing" && {
      unsubscribeUrl: unsubscribeUrl(
        deps.publicUrl,
        unsubscribeToken(deps.unsubscribeSecret, {
          customerId: customer.id,
          channel: decision.channel,
          deliveryId: PREVIEW_DELIVERY_ID,
        }),
      ),
    }),
  };
}

/** The current version of a shipped campaign. */
async function shippedCampaign(db: Db, id: string): Promise<CompiledCampaign | undefined> {
  const row = await db.campaign.findUnique({ where: { id }, select: { currentVersionId: true } });
  if (!row?.currentVersionId) return undefined;
  const version = await db.campaignVersion.findUnique({
    where: { id: row.currentVersionId },
    select: { compiled: true },
  });
  return version ? (version.compiled as unknown as CompiledCampaign) : undefined;
}

/** For an event campaign, the customer's latest event that would trigger it. */
async function triggeringEvent(db: Db, campaign: CompiledCampaign, customerId: string) {
  if (campaign.trigger.kind !== "event") return null;
  const events = await db.event.findMany({
    where: { customerId, type: campaign.trigger.event },
    orderBy: { occurredAt: "desc" },
    take: 20,
    include: { purchases: { select: { sku: true, name: true, quantity: true, unitPrice: true } } },
  });
  return events.find((e) => triggerMatches(campaign, e.type, e.properties)) ?? null;
}

/** A channel that only lends its name to rendering: a preview (or `campaigns validate`) never sends. */
export function previewChannel(name: SendingChannelName): Channel {
  return {
    name,
    limit: { max: 1, durationMs: 1_000 },
    send: () => Promise.reject(new Error("a preview sends nothing")),
  };
}
