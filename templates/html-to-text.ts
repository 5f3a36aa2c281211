/**
 * Derives the plain-text part of an email from its HTML when a template has no `email.<locale>.txt.hbs`.
 * Email HTML is machine-made and regular (tables, paragraphs, links), so a few rules suffice: blocks become
 * lines, cells are separated by spaces, links keep their address, hidden regions marked
 * `<!--[skip-text]-->…<!--[/skip-text]-->` (the preheader) are dropped.
 */

import { decodeEntities } from "../lib/html-entities.ts";

/** Trims line ends and collapses runs of blank lines to one, for any plain-text output. */
export function tidyText(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+$/, ""))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function linkText(href: string, inner: string): string {
  const label = inner.trim();
  if (!href || href.startsWith("#") || href.startsWith("mailto:") || href.startsWith("tel:")) return label;
  const address = decodeEntities(href);
  return !label || decodeEntities(label) === address ? address : `${label} (${address})`;
}

/** Converts rendered email HTML to readable plain text. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<!--\[skip-text\]-->[\s\S]*?<!--\[\/skip-text\]-->/g, "")
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, "")
    .replace(/\s+/g, " ")
    .replace(
      /<a\b[^>]*?href\s*=\s*("([^"]*)"|'([^']*)')[^>]*>([\s\S]*?)<\/a\s*>/gi,
      (_w, _q, d, s, inner: string) => linkText(d ?? s ?? "", inner.replace(/<[^>]+>/g, "")),
    )
    .replace(/<img\b[^>]*?\balt\s*=\s*"([^"]*)"[^>]*>/gi, " $1 ")
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<hr\b[^>]*>/gi, "\n\n---\n\n")
    .replace(/<li\b[^>]*>/gi, "\n- ")
    .replace(/<\/(h[1-6]|p|table|ul|ol|blockquote)\s*>/gi, "\n\n")
    .replace(/<(h[1-6]|p|table|ul|ol|blockquote)\b[^>]*>/gi, "\n\n")
    .replace(/<\/(div|tr|li)\s*>/gi, "\n")
    .replace(/<\/(td|th)\s*>/gi, "  ")
    .replace(/<[^>]+>/g, "");
  return tidyText(
    decodeEntities(text)
      .split("\n")
      .map((line) => line.replace(/[ \t]+/g, " ").trim())
      .join("\n"),
  );
}
