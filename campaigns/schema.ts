import { z } from "zod";
import { LOCALES, SENDING_CHANNEL_NAMES, type SendingChannelName } from "../lib/channels.ts";
import type { ConsentPolicy } from "./consent-policy.ts";
import { Duration } from "./duration.ts";
import { expected } from "./expected.ts";
import { freeMap, identifier, kebabName, text, wholeNumber } from "./names.ts";
import { didYouMean } from "./suggest.ts";
import { Trigger } from "./trigger.ts";

/** Channel names a campaign may list; `preferred` is `responds_on` when known, else the channel the customer last used. */
export const CAMPAIGN_CHANNELS = ["preferred", ...SENDING_CHANNEL_NAMES] as const;

function channelMessage(issue: { input?: unknown }): string | undefined {
  const list = `one of ${CAMPAIGN_CHANNELS.join(", ")}`;
  if (typeof issue.input !== "string") return expected(`a channel: ${list}`)(issue);
  if (issue.input === "phone")
    return `phone is not a channel campaigns send on: calls are only recorded; expected ${list}`;
  return `unknown channel '${issue.input}'${didYouMean(issue.input, CAMPAIGN_CHANNELS, `: expected ${list}`)}`;
}

const Channel = z.enum(CAMPAIGN_CHANNELS, { error: channelMessage });

const Channels = z
  .array(Channel, { error: expected("a list of channels like [preferred, email, telegram]") })
  .min(1, { error: "expected at least one channel, like [email]" })
  .superRefine((channels, ctx) => {
    channels.forEach((channel, i) => {
      if (channels.indexOf(channel) !== i) {
        ctx.addIssue({ code: "custom", path: [i], message: `channel ${channel} is listed twice` });
      }
    });
  })
  .meta({ description: "Channels to try in order; the first one the customer has consented to is used." });

const TemplateName = kebabName("a template name like thank-you (a folder of templates/)");

const WHATSAPP_TEMPLATE_EXAMPLE =
  '{ name: winback_offer, language: { en: en_US, id: id, pl: pl }, params: ["{{customer.name}}"] }';

/** A message template Meta approved for the brand's WhatsApp Business Account, and how to fill it. */
const WhatsAppTemplate = z
  .strictObject(
    {
      name: z
        .string({ error: expected("the approved template's name, like winback_offer") })
        .regex(/^[a-z0-9_]{1,512}$/, {
          error: expected(
            "the approved template's name: lowercase letters, digits and _, like winback_offer",
          ),
        }),
      language: z
        .partialRecord(
          z.enum(LOCALES),
          z
            .string({ error: expected("a WhatsApp language code like en_US, id or pl") })
            .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, {
              error: expected("a WhatsApp language code like en_US, id or pl"),
            }),
          { error: expected(`a map of locales (${LOCALES.join(", ")}) to the template's language codes`) },
        )
        .refine((languages) => Object.keys(languages).length > 0, {
          error: "expected at least one language, like { en: en_US }",
        })
        .meta({
          description:
            "The template's language code in Meta's dashboard for each of Rapport's locales; a customer in a locale not listed gets en's, else the first.",
        }),
      params: z
        .array(z.string({ error: expected('a parameter like "{{customer.name}}"') }), {
          error: expected('a list of parameters like ["{{customer.name}}", "{{coupon}}"]'),
        })
        .default([])
        .meta({
          description:
            "The body's {{1}}, {{2}}, … in order, each a Handlebars text rendered with the message's data (the same data the template gets).",
        }),
    },
    { error: expected(`a map like ${WHATSAPP_TEMPLATE_EXAMPLE}`) },
  )
  .meta({
    description:
      "WhatsApp sends campaign messages only as templates Meta approved (WhatsApp Manager → Message templates): required when channels lists whatsapp.",
  });

const Message = z.strictObject(
  {
    template: TemplateName,
    data: freeMap("a map of values the template can use").default({}).meta({
      description: "Values for the template, e.g. { discount: 15, coupon: unique(WINBACK15) }.",
    }),
    whatsapp_template: WhatsAppTemplate.optional(),
  },
  { error: expected("a map with template and optional data") },
);

const QUIET_HOURS = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const QUIET_EXPECTED = expected('quiet hours as "HH:MM-HH:MM" in the customer\'s time, like "21:00-08:00"');

const Limits = z.strictObject(
  {
    once_per_customer: z
      .boolean({ error: expected("true or false") })
      .default(false)
      .meta({ description: "Send at most once to each customer, ever. Defaults to false." }),
    max_per_day: wholeNumber("a number of messages", 1).optional().meta({
      description:
        "Frequency cap: skip the message when the customer already got this many marketing messages (any campaign) in the last 24 hours. Transactional messages are never counted nor capped.",
    }),
    max_per_week: wholeNumber("a number of messages", 1).optional().meta({
      description:
        "Frequency cap: skip the message when the customer already got this many marketing messages (any campaign) in the last 7 days.",
    }),
    quiet_hours: z
      .string({ error: QUIET_EXPECTED })
      .regex(QUIET_HOURS, { error: QUIET_EXPECTED })
      .refine((range) => range.slice(0, 5) !== range.slice(6), {
        error: "quiet hours start and end at the same time: remove quiet_hours to send at any hour",
      })
      .transform((range) => ({ start: range.slice(0, 5), end: range.slice(6) }))
      .optional()
      .meta({
        description: 'No sends between these customer-local times, e.g. "21:00-08:00"; held until the end.',
      }),
    max_segments: wholeNumber("a number of SMS segments", 1, 10).optional().meta({
      description:
        "SMS only: the most segments a message may take (160 GSM-7 characters or 70 UCS-2 in one SMS, 153 or 67 a segment beyond); a longer one is not sent: its Delivery fails (rejected, the error saying too_long and the count).",
    }),
  },
  {
    error: expected(
      "a map of limits: once_per_customer, max_per_day, max_per_week, quiet_hours, max_segments",
    ),
  },
);

const Goal = z.strictObject(
  {
    event: identifier("an event name like purchase"),
    within: Duration.meta({ description: "How long after the send the event still counts, e.g. 14d." }),
  },
  { error: expected("a map like { event: purchase, within: 14d }") },
);

const Variant = z.strictObject(
  {
    name: identifier("a variant name like a or short-subject"),
    weight: wholeNumber("a weight in percent", 0, 100),
    template: TemplateName.optional(),
    data: freeMap("a map of values the template can use").optional(),
  },
  { error: expected("a map like { name: a, weight: 50 }") },
);

const Variants = z
  .array(Variant, {
    error: expected("a list of variants like [{ name: a, weight: 50 }, { name: b, weight: 50 }]"),
  })
  .min(2, { error: "an A/B test needs at least two variants" })
  .superRefine((variants, ctx) => {
    const total = variants.reduce((sum, v) => sum + v.weight, 0);
    if (total !== 100) {
      ctx.addIssue({ code: "custom", message: `variant weights must add up to 100, but add up to ${total}` });
    }
    variants.forEach((v, i) => {
      if (variants.findIndex((w) => w.name === v.name) !== i) {
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `variant name ${v.name} is used twice` });
      }
    });
  })
  .meta({ description: "A/B test: each customer gets one variant, by weight (percent, adding up to 100)." });

const COUPON_PREFIX = /^[A-Za-z0-9_-]{1,32}$/;

const CouponDeclaration = z
  .strictObject(
    {
      percentage: wholeNumber("a percent off, 1 to 100", 1, 100)
        .optional()
        .meta({ description: "Percent off the order. Either this or amount." }),
      amount: z
        .union([z.number().positive(), z.string().regex(/^\d+(\.\d{1,2})?$/)], {
          error: expected('an amount off in the shop\'s currency, like 10 or "9.99"'),
        })
        .optional()
        .meta({
          description: "Fixed amount off the order, in the shop's currency. Either this or percentage.",
        }),
      ends_at: z.iso
        .datetime({
          offset: true,
          error: expected('a time the codes stop working, like "2026-12-31T23:59:59Z"'),
        })
        .optional()
        .meta({ description: "When the codes stop working at the shop. Default: never." }),
      once_per_customer: z
        .boolean({ error: expected("true or false") })
        .default(true)
        .meta({ description: "One use per customer. Defaults to true." }),
    },
    { error: expected('a map like { percentage: 15, ends_at: "2026-12-31T23:59:59Z" }') },
  )
  .superRefine((coupon, ctx) => {
    if ((coupon.percentage === undefined) === (coupon.amount === undefined))
      ctx.addIssue({
        code: "custom",
        path: coupon.percentage === undefined ? [] : ["amount"],
        message: "expected either percentage or amount (not both)",
      });
  });

const Coupons = z
  .record(
    z.string().regex(COUPON_PREFIX, { error: "expected a code prefix like WINBACK15" }),
    CouponDeclaration,
    {
      error: expected("a map of code prefixes to discounts, like { WINBACK15: { percentage: 15 } }"),
    },
  )
  .meta({
    description:
      "The discount behind each unique(PREFIX) of the message: created at the shop (Shopify, WooCommerce) before any message carries a code.",
  });

/** What the shop creates for one `unique(PREFIX)`: compiled from the campaign's `coupons:`. */
export interface CouponDeclaration {
  percentage?: number;
  amount?: string;
  endsAt?: string;
  oncePerCustomer: boolean;
}

function uniquePrefixes(data: Record<string, unknown> | undefined): string[] {
  return Object.values(data ?? {}).flatMap((v) => {
    const match = typeof v === "string" ? /^unique\(([A-Za-z0-9_-]{1,32})\)$/.exec(v.trim()) : null;
    return match ? [match[1]!.toUpperCase()] : [];
  });
}

/** The YAML of one campaign, validated, before it gets its file name and content hash. */
export const CampaignSchema = z
  .strictObject(
    {
      id: kebabName("a campaign id like win-back-60d").meta({
        description: "Unique across all campaign files.",
      }),
      name: text("a name for people, like Win back quiet customers"),
      kind: z
        .enum(["marketing", "transactional"], { error: expected("marketing or transactional") })
        .default("marketing")
        .meta({
          description:
            "transactional (receipts, thank-yous) is never capped and ignores marketing opt-out. Defaults to marketing.",
        }),
      trigger: Trigger,
      audience: text("a segment expression like segment(vip) or orders >= 2")
        .optional()
        .meta({
          description:
            'Who may receive it (default everyone), a segment expression: segment(vip) or (orders >= 2 and country in ["ID", "PL"]). ' +
            'Conditions: field = != < <= > >= value; field in [...] / not in [...]; field contains "text"; field is null / is not null; ' +
            "segment(name) from segments.yaml; consented(channel); opted_out(channel). Join with and, or, not and ( ). " +
            "Fields: orders, total_spent, avg_rating, last_purchase, last_interaction, first_seen, name, email, phone, country, " +
            'locale, timezone, source, preferred_channel, loyalty_points, channels, skus, attributes.<key>. Dates: now - 60d or "2026-01-31". ' +
            'Money: total_spent > 100 EUR (base currency), total_spent("IDR") > 500000, avg_order("PLN") >= 80; refunds taken off. ' +
            "See campaigns/README.md.",
        }),
      channels: Channels,
      message: Message,
      limits: Limits.optional(),
      goal: Goal.optional(),
      variants: Variants.optional(),
      holdout: wholeNumber("a holdout in percent", 0, 99).optional().meta({
        description: "Percent of the audience that gets nothing, to measure the campaign's effect.",
      }),
      coupons: Coupons.optional(),
    },
    { error: expected("a map of campaign keys (id, name, trigger, channels, message, …)") },
  )
  .superRefine((campaign, ctx) => {
    const used = new Set([
      ...uniquePrefixes(campaign.message.data as Record<string, unknown>),
      ...(campaign.variants ?? []).flatMap((v) =>
        uniquePrefixes(v.data as Record<string, unknown> | undefined),
      ),
    ]);
    const whatsapp = campaign.channels.indexOf("whatsapp");
    if (whatsapp >= 0 && !campaign.message.whatsapp_template) {
      ctx.addIssue({
        code: "custom",
        path: ["channels", whatsapp],
        message: `WhatsApp sends campaign messages only as templates Meta approved: add message.whatsapp_template, like ${WHATSAPP_TEMPLATE_EXAMPLE}`,
      });
    }
    for (const prefix of Object.keys(campaign.coupons ?? {})) {
      if (!used.has(prefix.toUpperCase()))
        ctx.addIssue({
          code: "custom",
          path: ["coupons", prefix],
          message: `no unique(${prefix}) in the message data: remove it or use it, like coupon: unique(${prefix})`,
        });
    }
    if (campaign.kind !== "transactional") return;
    for (const key of ["max_per_day", "max_per_week"] as const) {
      if (campaign.limits?.[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["limits", key],
          message: `transactional campaigns are never capped: remove ${key} or set kind: marketing`,
        });
      }
    }
  })
  .transform((c, ctx) =>
    ctx.issues.length > 0
      ? z.NEVER
      : {
          id: c.id,
          name: c.name,
          kind: c.kind,
          trigger: c.trigger,
          ...(c.audience !== undefined && { audience: c.audience }),
          channels: c.channels as Array<SendingChannelName | "preferred">,
          message: c.message,
          limits: {
            oncePerCustomer: c.limits?.once_per_customer ?? false,
            ...(c.limits?.max_per_day !== undefined && { maxPerDay: c.limits.max_per_day }),
            ...(c.limits?.max_per_week !== undefined && { maxPerWeek: c.limits.max_per_week }),
            ...(c.limits?.quiet_hours !== undefined && { quietHours: c.limits.quiet_hours }),
            ...(c.limits?.max_segments !== undefined && { maxSegments: c.limits.max_segments }),
          },
          ...(c.goal !== undefined && { goal: { event: c.goal.event, withinMs: c.goal.within } }),
          ...(c.variants !== undefined && { variants: c.variants }),
          ...(c.holdout !== undefined && { holdoutPercent: c.holdout }),
          ...(c.coupons !== undefined && {
            coupons: Object.fromEntries(
              Object.entries(c.coupons).map(([prefix, d]): [string, CouponDeclaration] => [
                prefix.toUpperCase(),
                {
                  ...(d.percentage !== undefined && { percentage: d.percentage }),
                  ...(d.amount !== undefined && { amount: String(d.amount) }),
                  ...(d.ends_at !== undefined && { endsAt: new Date(d.ends_at).toISOString() }),
                  oncePerCustomer: d.once_per_customer,
                },
              ]),
            ),
          }),
        },
  )
  .meta({
    title: "Rapport campaign",
    description: "One campaign of campaigns/*.yaml. See campaigns/README.md.",
  });

/** A campaign as a marketer writes it in YAML (snake_case keys, durations as text). */
export type CampaignSource = z.input<typeof CampaignSchema>;

/** A compiled campaign: the plan the workers run. Durations in ms; frozen. */
export type CompiledCampaign = z.output<typeof CampaignSchema> & {
  /** The file it was compiled from, as given to the compiler. */
  file: string;
  /** sha256 of the source text, hex: a new CampaignVersion whenever it changes. */
  contentHash: string;
  /**
   * The installation's consent policy (campaigns/consent.yaml), set by the campaign registry when the
   * campaign is run; without one, opt-in on every channel.
   */
  consent?: ConsentPolicy;
};
