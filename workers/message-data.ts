import type { CompiledCampaign } from "../campaigns/index.ts";
import { wallTime, zonedInstant } from "../lib/zoned-time.ts";

const UNIQUE = /^unique\(([A-Za-z0-9_-]{1,32})\)$/;

/** A `unique(PREFIX)` value of a message's data: each customer gets their own code under `key`. */
export interface CouponSlot {
  key: string;
  prefix: string;
}

/** What one variant of a campaign sends: its template and data (the campaign's, with the variant's on top). */
export interface VariantMessage {
  variant: string | null;
  template: string;
  data: Record<string, unknown>;
  coupons: CouponSlot[];
}

/** The `unique(PREFIX)` values of a message's data. */
export function couponSlots(data: Record<string, unknown>): CouponSlot[] {
  return Object.entries(data).flatMap(([key, value]) => {
    const match = typeof value === "string" ? UNIQUE.exec(value.trim()) : null;
    return match ? [{ key, prefix: match[1]!.toUpperCase() }] : [];
  });
}

/**
 * Every message a campaign can send, by variant (one with `variant: null` when there is no A/B test). A
 * `whatsapp_template` of the message travels in the data, under that key, to the deliverer: it is how the
 * message goes on WhatsApp (workers/render.ts fills its parameters from the same data). So does the campaign's
 * `limits.max_segments`, as `max_segments`: the SMS channel refuses a longer message.
 */
export function variantMessages(campaign: CompiledCampaign): VariantMessage[] {
  const whatsappTemplate = campaign.message.whatsapp_template;
  const base = {
    ...(campaign.message.data as Record<string, unknown>),
    ...(whatsappTemplate && { whatsapp_template: whatsappTemplate }),
    ...(campaign.limits.maxSegments !== undefined && { max_segments: campaign.limits.maxSegments }),
  };
  const variants = campaign.variants ?? [];
  const messages = variants.map((v) => {
    const data = { ...base, ...(v.data as Record<string, unknown> | undefined) };
    return {
      variant: v.name,
      template: v.template ?? campaign.message.template,
      data,
      coupons: couponSlots(data),
    };
  });
  return messages.length > 0
    ? messages
    : [{ variant: null, template: campaign.message.template, data: base, coupons: couponSlots(base) }];
}

/** The message of one variant ("holdout" and unknown names get the first, which is never sent to them). */
export function messageOf(campaign: CompiledCampaign, variant: string | null): VariantMessage {
  const all = variantMessages(campaign);
  return all.find((m) => m.variant === variant) ?? all[0]!;
}

/** Every coupon prefix a campaign hands out. */
export function couponPrefixes(campaign: CompiledCampaign): string[] {
  return [...new Set(variantMessages(campaign).flatMap((m) => m.coupons.map((c) => c.prefix)))];
}

/**
 * Data derived at plan time: `validUntil` (ISO) from a `valid_days` number: the end of the customer's local
 * day `valid_days` after the message is due, so "valid until 19 March" holds all of 19 March where they are.
 */
export function derivedData(
  data: Record<string, unknown>,
  due: Date,
  timeZone: string,
): Record<string, unknown> {
  const days = Number(data.valid_days);
  if (!Number.isFinite(days) || days <= 0) return {};
  const last = new Date(due.getTime() + days * 86_400_000);
  const { year, month, day } = wallTime(last, timeZone);
  const endOfDay = zonedInstant({ year, month, day, minutes: 23 * 60 + 59 }, timeZone).getTime() + 59_000;
  return { validUntil: new Date(endOfDay).toISOString() };
}
