import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { LOCALES } from "../../lib/channels.ts";
import { shortHash } from "../../lib/ids.ts";
import type { WebchatOptions } from "./options.ts";

const WIDGET_DIR = new URL("./widget/", import.meta.url);

/**
 * The embeddable script: texts.js, widget.js and style.css in one IIFE. It captures its own `<script>`
 * element first (only possible while it runs), starts once however often it is embedded, and waits for
 * `<body>` when placed in `<head>` without `defer`.
 */
export function buildWidgetScript(): string {
  const read = (name: string) => readFileSync(new URL(name, WIDGET_DIR), "utf8");
  return `/* Rapport web chat widget */
(function () {
  "use strict";
  if (window.RapportWebchat) return;
  window.RapportWebchat = {};
  var script = document.currentScript || document.querySelector('script[src*="/webchat/widget.js"]');
${read("texts.js")}
${read("widget.js")}
  var start = function () {
    window.RapportWebchat = startRapportWebchat(script, RAPPORT_WEBCHAT_TEXTS, ${JSON.stringify(read("style.css"))});
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
`;
}

const DemoQuery = z.object({
  locale: z.enum(LOCALES).optional(),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{3,8}$/, "expected a hex colour such as #0b7285")
    .optional(),
});

/**
 * `GET /webchat/widget.js` and the demo page `GET /webchat/demo` (`?locale=pl&color=%23e8590c`): a plain
 * page that embeds the widget and shows the snippet to paste into a site.
 */
export function registerWebchatAssets(app: FastifyInstance, options: WebchatOptions): void {
  const script = buildWidgetScript();
  const version = shortHash(script, 12);
  const etag = `"${version}"`;

  app.get("/webchat/widget.js", async (request, reply) => {
    const versioned = (request.query as { v?: string }).v === version;
    void reply
      .header("content-type", "text/javascript; charset=utf-8")
      // an embed snippet's URL never changes, so a day (then a revalidation) lets fixes reach every site;
      // the versioned URL the demo uses can be kept for good
      .header(
        "cache-control",
        versioned
          ? "public, max-age=31536000, immutable"
          : "public, max-age=86400, stale-while-revalidate=604800",
      )
      .header("etag", etag)
      .header("access-control-allow-origin", "*")
      .header("cross-origin-resource-policy", "cross-origin");
    if (request.headers["if-none-match"] === etag) return reply.status(304).send();
    return reply.send(script);
  });

  app.get("/webchat/demo", async (request, reply) => {
    const parsed = DemoQuery.safeParse(request.query);
    const query = parsed.success ? parsed.data : {};
    const brand = escapeHtml(options.brandName);
    const attributes = [
      `data-brand="${brand}"`,
      query.locale ? `data-locale="${query.locale}"` : "",
      query.color ? `data-color="${query.color}"` : "",
    ].filter(Boolean);
    const snippet = `<script src="${options.publicUrl}/webchat/widget.js" ${attributes.join(" ")} async></script>`;
    return reply.header("content-type", "text/html; charset=utf-8").send(`<!doctype html>
<html lang="${query.locale ?? "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat with ${brand}</title>
<style>
  body { margin: 0; font: 16px/1.6 system-ui, sans-serif; color: #1e293b; background: #f1f5f9; }
  main { max-width: 640px; margin: 10vh auto; padding: 0 24px; }
  pre { padding: 12px 16px; background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; white-space: pre-wrap;
    overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
  <h1>Chat with ${brand}</h1>
  <p>This page embeds the Rapport web chat. Open it with the button in the corner and write a message:
  it lands in the console's inbox, and replies come back here live.</p>
  <p>Try another language with <a href="?locale=en">?locale=en</a>, <a href="?locale=id">?locale=id</a> or
  <a href="?locale=pl">?locale=pl</a>. To add the chat to your own site, paste:</p>
  <pre><code>${escapeHtml(snippet)}</code></pre>
</main>
<script src="/webchat/widget.js?v=${version}" ${attributes.join(" ")} async></script>
</body>
</html>
`);
  });
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}
