import type { ChannelName, Locale } from "../lib/channels.ts";

/** The chat channels, which share `chat.<locale>.hbs` when they have no file of their own. */
export const CHAT_CHANNELS: readonly ChannelName[] = [
  "telegram",
  "discord",
  "x",
  "webchat",
  "whatsapp",
  "sms",
];

/** One file a render may use, in the order tried. */
export interface Candidate {
  /** File name inside the template's folder, e.g. "email.pl.hbs". */
  file: string;
  locale: Locale;
}

/**
 * The files tried for a template, best first. The language matters more than the channel, so a Polish reader
 * on Telegram gets `chat.pl.hbs` before `telegram.en.hbs`:
 * email → `email.<locale>.hbs`, `email.en.hbs`;
 * chat → `<channel>.<locale>.hbs`, `chat.<locale>.hbs`, `<channel>.en.hbs`, `chat.en.hbs`.
 */
export function candidates(channel: ChannelName, locale: Locale): Candidate[] {
  const locales: Locale[] = locale === "en" ? ["en"] : [locale, "en"];
  const bases = channel === "email" ? ["email"] : [channel, "chat"];
  return locales.flatMap((l) => bases.map((base) => ({ file: `${base}.${l}.hbs`, locale: l })));
}

/** The plain-text companion of an email file: "email.pl.hbs" → "email.pl.txt.hbs". */
export function textCompanion(file: string): string {
  return file.replace(/\.hbs$/, ".txt.hbs");
}
