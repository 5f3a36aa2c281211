import { type SendingChannelName, toLocale } from "../../lib/channels.ts";
import { escapeHtml } from "../../lib/html-entities.ts";
import { type BotTextKey, t } from "../i18n.ts";

/** Which unsubscribe page to show. */
export type UnsubscribePageKind = "confirm" | "done" | "broken";

const CHANNEL_TEXT: Record<SendingChannelName, BotTextKey> = {
  email: "channelEmail",
  telegram: "channelTelegram",
  discord: "channelDiscord",
  x: "channelX",
  webchat: "channelWebchat",
  whatsapp: "channelWhatsapp",
  sms: "channelSms",
};

const STYLE = `
body{margin:0;padding:2rem 1rem;background:#f6f7f9;color:#1a1a1a;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:32rem;margin:0 auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgb(0 0 0/.12)}
.brand{margin:0 0 1rem;color:#4a4a4a;font-size:.9375rem}
h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
.note{color:#4a4a4a}
button{margin-top:.5rem;padding:.75rem 1.5rem;border:0;border-radius:.5rem;background:#1d4ed8;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:hover{background:#1e40af}
button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
`.trim();

/** Escapes text for HTML element content and double-quoted attribute values (one for every page, in lib). */
export { escapeHtml };

/**
 * The HTML of an unsubscribe page in one language: `confirm` asks, with a button that POSTs back to the same
 * address; `done` says the customer is unsubscribed; `broken` says the link cannot be read (no customer known).
 */
export function renderUnsubscribePage(
  kind: UnsubscribePageKind,
  options: { locale: string; brand: string; channel?: SendingChannelName },
): string {
  const locale = toLocale(options.locale);
  const vars = {
    brand: options.brand,
    channel: t(locale, CHANNEL_TEXT[options.channel ?? "email"]),
  };
  const [title, body] =
    kind === "confirm"
      ? [t(locale, "unsubscribeTitle"), t(locale, "unsubscribeQuestion", vars)]
      : kind === "done"
        ? [t(locale, "unsubscribedTitle"), t(locale, "unsubscribedBody", vars)]
        : [t(locale, "unsubscribeBrokenTitle"), t(locale, "unsubscribeBrokenBody")];
  const content =
    kind === "confirm"
      ? [
          `<h1>${escapeHtml(body)}</h1>`,
          `<p class="note">${escapeHtml(t(locale, "unsubscribeNote"))}</p>`,
          // no action: the form posts to the page's own address, whatever proxy path it was reached by
          `<form method="post"><button type="submit">${escapeHtml(t(locale, "unsubscribeButton"))}</button></form>`,
        ]
      : [`<h1>${escapeHtml(title)}</h1>`, `<p>${escapeHtml(body)}</p>`];
  return renderBrandPage({ locale, brand: options.brand, title, content });
}

/**
 * Headers of a page reached by a link carrying a token (unsubscribe, double opt-in): the token is a credential,
 * so keep it out of referrers, caches and search engines; the page loads nothing from elsewhere.
 */
export const TOKEN_PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex",
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/**
 * The page every signed link lands on (unsubscribe, double opt-in confirm): one card with the brand, in the
 * given language. `content` is HTML, already escaped.
 */
export function renderBrandPage(options: {
  locale: string;
  brand: string;
  title: string;
  content: string[];
}): string {
  const { locale, title, content } = options;
  return [
    "<!doctype html>",
    `<html lang="${toLocale(locale)}">`,
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(`${title} · ${options.brand}`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    `<p class="brand">${escapeHtml(options.brand)}</p>`,
    ...content,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
