import type { MessageEntity } from "grammy/types";

/** Plain text and entities, as Telegram returns a message sent with `parse_mode: "HTML"`. */
export interface ParsedText {
  text: string;
  entities: MessageEntity[];
}

const SIMPLE_TAGS: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  code: "code",
  pre: "pre",
  "tg-spoiler": "spoiler",
  // Telegram accepts <span class="tg-spoiler"> as the other spelling of a spoiler.
  span: "spoiler",
  blockquote: "blockquote",
};

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/**
 * Parses Telegram's HTML subset (b, i, u, s, code, pre, a href, tg-spoiler, blockquote and the
 * named and numeric character references). Throws the Bot API's own description for markup Telegram
 * refuses, e.g. `Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 0`.
 */
export function parseTelegramHtml(html: string): ParsedText {
  let text = "";
  const entities: MessageEntity[] = [];
  const open: { tag: string; offset: number; url?: string }[] = [];
  const tagPattern =
    /<(\/?)([a-zA-Z-]+)((?:\s+[a-z-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*>|&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|</g;
  let last = 0;
  for (const match of html.matchAll(tagPattern)) {
    const at = match.index ?? 0;
    text += html.slice(last, at);
    last = at + match[0].length;
    const byteOffset = Buffer.byteLength(html.slice(0, at));
    if (match[4] !== undefined) {
      const ref = match[4];
      text += ref.startsWith("#x")
        ? String.fromCodePoint(Number.parseInt(ref.slice(2), 16))
        : ref.startsWith("#")
          ? String.fromCodePoint(Number(ref.slice(1)))
          : ENTITIES[ref];
      continue;
    }
    const tag = match[2]?.toLowerCase();
    if (tag === undefined) {
      throw cannotParse(`Unclosed start tag at byte offset ${byteOffset}`);
    }
    if (match[1] === "/") {
      const top = open.pop();
      if (top?.tag !== tag) {
        throw cannotParse(`Unmatched end tag at byte offset ${byteOffset}, expected "</${top?.tag}>"`);
      }
      const length = text.length - top.offset;
      const type = top.tag === "a" ? "text_link" : SIMPLE_TAGS[top.tag];
      if (length > 0 && type === "text_link") {
        entities.push({ type, offset: top.offset, length, url: top.url ?? "" });
      } else if (length > 0 && type !== undefined) {
        entities.push({ type, offset: top.offset, length } as MessageEntity);
      }
      continue;
    }
    if (tag !== "a" && !(tag in SIMPLE_TAGS)) {
      throw cannotParse(`Unsupported start tag "${tag}" at byte offset ${byteOffset}`);
    }
    const url = /href\s*=\s*["']([^"']*)["']/.exec(match[3] ?? "")?.[1];
    open.push({ tag, offset: text.length, ...(url === undefined ? {} : { url }) });
  }
  text += html.slice(last);
  const unclosed = open.pop();
  if (unclosed !== undefined) {
    throw cannotParse(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);
  }
  // Telegram lists entities by offset, outer before inner.
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

/** The error `parseTelegramHtml` throws; `description` is exactly what the Bot API answers. */
export class TelegramParseError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = "TelegramParseError";
  }
}

function cannotParse(reason: string): TelegramParseError {
  return new TelegramParseError(`Bad Request: can't parse entities: ${reason}`);
}
