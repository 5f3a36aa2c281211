import { decodeEntities } from "../../lib/html-entities.ts";

/** Tags after which the text continues on a new line. */
const BLOCK = /^(p|div|br|li|ul|ol|tr|table|h[1-6]|blockquote|pre|hr|section|article|header|footer|address)$/;

/**
 * The text of an HTML email, for a message that has no text part: block elements and `<br>` become line
 * breaks, `<head>`, `<style>` and `<script>` are dropped, entities are decoded, and lines inside
 * `<blockquote>` are prefixed with "> " so that the quoted history is recognised as such ({@link stripQuoted}).
 */
export function htmlToText(html: string): string {
  const body = html
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, "");
  const lines: string[] = [];
  let line = "";
  let depth = 0;
  const flush = () => {
    const text = line.replace(/[ \t\u00a0]+/g, " ").trim(); // a no-break space reads as a space
    if (text !== "" || lines.at(-1) !== "") lines.push(text === "" ? "" : `${"> ".repeat(depth)}${text}`);
    line = "";
  };
  for (const token of body.match(/<[^>]*>|[^<]+/g) ?? []) {
    if (!token.startsWith("<")) {
      line += decodeEntities(token.replace(/\s+/g, " "));
      continue;
    }
    const tag = /^<\s*(\/?)\s*([a-z0-9]+)/i.exec(token);
    if (!tag) continue;
    const closing = tag[1] === "/";
    const name = (tag[2] ?? "").toLowerCase();
    if (!BLOCK.test(name)) continue;
    flush();
    if (name === "blockquote") depth = Math.max(0, depth + (closing ? -1 : 1));
  }
  flush();
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
