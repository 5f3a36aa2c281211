import { z } from "zod";

/** Every channel Rapport can talk on. Mirrors the `Channel` enum of prisma/schema.prisma. */
export const CHANNEL_NAMES = ["telegram", "discord", "x", "email", "webchat"] as const;
export const ChannelName = z.enum(CHANNEL_NAMES);
export type ChannelName = z.infer<typeof ChannelName>;

/** Locales every user-facing text exists in. The first is the fallback. */
export const LOCALES = ["en", "id", "pl"] as const;
export type Locale = (typeof LOCALES)[number];

/** Maps any BCP 47 tag ("pl-PL", "id", "en-US", undefined) to a supported locale, falling back to English. */
export function toLocale(tag: string | null | undefined): Locale {
  const base = (tag ?? "").toLowerCase().split(/[-_]/)[0];
  return (LOCALES as readonly string[]).includes(base ?? "") ? (base as Locale) : "en";
}
