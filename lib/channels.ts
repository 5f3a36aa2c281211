import { z } from "zod";

/**
 * The channels Rapport sends on: each has a `Channel` and a `deliver-<channel>` queue, and campaigns, replies
 * and consent name them. `phone` is not one: calls come in (Twilio, `POST /api/calls`) and are recorded only.
 */
export const SENDING_CHANNEL_NAMES = [
  "telegram",
  "discord",
  "x",
  "email",
  "webchat",
  "whatsapp",
  "sms",
] as const;
export const SendingChannelName = z.enum(SENDING_CHANNEL_NAMES);
export type SendingChannelName = z.infer<typeof SendingChannelName>;

/**
 * Every channel a customer reaches the brand on: the sending ones, then `phone`. Mirrors the `Channel` enum of
 * prisma/schema.prisma.
 */
export const CHANNEL_NAMES = [...SENDING_CHANNEL_NAMES, "phone"] as const;
export const ChannelName = z.enum(CHANNEL_NAMES);
export type ChannelName = z.infer<typeof ChannelName>;

/** Whether messages can be sent on a channel (every channel but `phone`). */
export function isSendingChannel(channel: string): channel is SendingChannelName {
  return (SENDING_CHANNEL_NAMES as readonly string[]).includes(channel);
}

/** Locales every user-facing text exists in. The first is the fallback. */
export const LOCALES = ["en", "id", "pl"] as const;
export type Locale = (typeof LOCALES)[number];

/** Maps any BCP 47 tag ("pl-PL", "id", "en-US", undefined) to a supported locale, falling back to English. */
export function toLocale(tag: string | null | undefined): Locale {
  const base = (tag ?? "").toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(base ?? "") ? (base as Locale) : "en";
}

/** Whether a value is one of the languages Rapport speaks. */
export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** The first language Rapport speaks of an `Accept-Language` header, by quality; English when none is. */
export function preferredLocale(header: string | undefined): Locale {
  const ranked = (header ?? "")
    .split(",")
    .map((part, order) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = Number(/^\s*q=([\d.]+)/.exec(params.join(";"))?.[1] ?? 1);
      return { base: tag.trim().toLowerCase().split("-")[0] ?? "", q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((r) => r.q > 0 && isLocale(r.base))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return toLocale(ranked[0]?.base);
}
