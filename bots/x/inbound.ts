import { z } from "zod";
import type { InboundMessage } from "../inbound.ts";

/** The brand account the listener reads for. */
export interface XBrand {
  id: string;
  username: string;
}

/** An X user as the `includes.users` expansion carries it. Loose: X adds fields. */
export const XUserPayload = z.looseObject({
  id: z.string(),
  username: z.string(),
  name: z.string().optional(),
  profile_image_url: z.string().optional(),
});
export type XUserPayload = z.infer<typeof XUserPayload>;

/** A post (tweet) with the fields the listener requests. */
export const XTweetPayload = z.looseObject({
  id: z.string(),
  text: z.string(),
  author_id: z.string(),
  created_at: z.string().optional(),
  lang: z.string().optional(),
  in_reply_to_user_id: z.string().optional(),
  entities: z
    .looseObject({
      mentions: z.array(z.looseObject({ username: z.string(), id: z.string().optional() })).optional(),
    })
    .optional(),
  /** Posts over 280 characters carry their full text here; `text` is truncated. */
  note_tweet: z.looseObject({ text: z.string() }).optional(),
});
export type XTweetPayload = z.infer<typeof XTweetPayload>;

/** A direct-message event from `GET /2/dm_events`. */
export const XDmEventPayload = z.looseObject({
  id: z.string(),
  event_type: z.string(),
  text: z.string().optional(),
  sender_id: z.string().optional(),
  dm_conversation_id: z.string().optional(),
  created_at: z.string().optional(),
});
export type XDmEventPayload = z.infer<typeof XDmEventPayload>;

/** A message for the conversation core, or why the item is skipped. `quiet` skips are expected (own posts). */
export type Normalised = { message: InboundMessage } | { skip: string; quiet?: boolean };

/** X codes that are not languages: undetermined, no text, media-only, hashtags, mentions, cashtags, … */
const NOT_LANGUAGES = new Set(["und", "zxx", "art", "mul", "qam", "qct", "qht", "qme", "qst"]);
/** X still uses retired ISO 639 codes for some languages. */
const LEGACY_CODES: Record<string, string> = { in: "id", iw: "he", ji: "yi" };

/** The tweet's `lang` as a BCP 47 tag, or undefined when X could not tell (or it is not a language). */
export function localeOf(lang: string | undefined): string | undefined {
  if (!lang || NOT_LANGUAGES.has(lang) || !/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang)) return undefined;
  const [base, ...rest] = lang.split("-");
  return [LEGACY_CODES[base!] ?? base, ...rest].join("-");
}

/** Whether a post is addressed to the brand: it @-mentions the brand or replies to one of its posts. */
export function mentionsBrand(tweet: XTweetPayload, brand: XBrand): boolean {
  if (tweet.in_reply_to_user_id === brand.id) return true;
  const handle = brand.username.toLowerCase();
  if (tweet.entities?.mentions?.some((m) => m.id === brand.id || m.username.toLowerCase() === handle)) {
    return true;
  }
  return new RegExp(`(^|[^\\w])@${handle}\\b`, "i").test(tweet.text);
}

/** The listening desk's name for a post that addresses the brand, beside the keywords it contains. */
export const MENTION = "mention";

/**
 * The keywords (words or phrases, as configured in X_KEYWORDS) a post's text contains, case-insensitively and
 * as whole words: "rapport" is in "Love #Rapport!" but not in "rapporteur". In the configured order, once each.
 */
export function keywordsIn(text: string, keywords: readonly string[]): string[] {
  const found = new Set<string>();
  for (const keyword of keywords) {
    const clean = keyword.replace(/"/g, "").trim();
    if (!clean) continue;
    const escaped = clean.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
    if (new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, "iu").test(text)) found.add(clean);
  }
  return [...found];
}

/** The first issue with its field: "author_id: Invalid input: expected string, received undefined". */
function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

function dateOr(value: string | undefined, fallback: number): Date {
  const parsed = value ? new Date(value) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date(fallback);
}

function senderOf(
  userId: string,
  users: Map<string, XUserPayload>,
  locale?: string,
): InboundMessage["sender"] {
  const user = users.get(userId);
  return {
    externalId: userId,
    handle: user?.username,
    displayName: user?.name,
    avatarUrl: user?.profile_image_url,
    locale,
  };
}

/**
 * A post → `InboundMessage`. Replies go to the post itself (threadRef and replyTo are its id). A post that does
 * not address the brand (a keyword-search hit) is social listening: `conversational: false`. Every post is a
 * listening hit (`listening`), with "mention" when it addresses the brand and the `keywords` its text contains.
 */
export function tweetToInbound(
  raw: unknown,
  context: { brand: XBrand; users: Map<string, XUserPayload>; now: number; keywords?: readonly string[] },
): Normalised {
  const parsed = XTweetPayload.safeParse(raw);
  if (!parsed.success) return { skip: `malformed post: ${issueText(parsed.error)}` };
  const tweet = parsed.data;
  if (tweet.author_id === context.brand.id) return { skip: "the brand's own post", quiet: true };
  const addressed = mentionsBrand(tweet, context.brand);
  const text = tweet.note_tweet?.text ?? tweet.text;
  return {
    message: {
      channel: "x",
      externalId: tweet.id,
      sender: senderOf(tweet.author_id, context.users, localeOf(tweet.lang)),
      threadRef: tweet.id,
      replyTo: tweet.id,
      text,
      sentAt: dateOr(tweet.created_at, context.now),
      ...(addressed ? {} : { conversational: false }),
      listening: { keywords: [...(addressed ? [MENTION] : []), ...keywordsIn(text, context.keywords ?? [])] },
      raw: JSON.parse(JSON.stringify({ tweet: raw, author: context.users.get(tweet.author_id) ?? null })),
    },
  };
}

/**
 * A DM event → `InboundMessage`. DM ids are prefixed ("dm:<event id>") so they never collide with post ids,
 * and replies go to the sender ("dm:<sender id>"), which is what the channel's `to` understands.
 */
export function dmToInbound(
  raw: unknown,
  context: { brand: XBrand; users: Map<string, XUserPayload>; now: number },
): Normalised {
  const parsed = XDmEventPayload.safeParse(raw);
  if (!parsed.success) return { skip: `malformed DM event: ${issueText(parsed.error)}` };
  const event = parsed.data;
  if (event.event_type !== "MessageCreate") return { skip: `DM event ${event.event_type}`, quiet: true };
  if (!event.sender_id) return { skip: "DM event without sender_id" };
  if (event.sender_id === context.brand.id) return { skip: "the brand's own DM", quiet: true };
  return {
    message: {
      channel: "x",
      externalId: `dm:${event.id}`,
      sender: senderOf(event.sender_id, context.users),
      threadRef: `dm:${event.sender_id}`,
      text: event.text ?? "",
      sentAt: dateOr(event.created_at, context.now),
      raw: JSON.parse(JSON.stringify({ event: raw, sender: context.users.get(event.sender_id) ?? null })),
    },
  };
}
