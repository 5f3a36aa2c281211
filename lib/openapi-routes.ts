import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { type Locale, preferredLocale } from "./channels.ts";
import { escapeHtml } from "./html-entities.ts";
import {
  type ApiInfo,
  collectRoutes,
  describeRoute,
  type OpenApiDocument,
  openApiDocument,
  SECURITY_SCHEMES,
} from "./openapi.ts";

export const OPENAPI_PATH = "/api/openapi.json";
export const DOCS_PATH = "/api/docs";

/** The document's own shape, as far as a reader needs it (it is generated, not validated). */
const OpenApiShape = z.looseObject({ openapi: z.literal("3.1.0"), paths: z.record(z.string(), z.unknown()) });

/**
 * `GET /api/openapi.json` (the OpenAPI 3.1 document of every described route) and `GET /api/docs` (the same as
 * a page, in the reader's language). Call it before any other route is registered: it lists the routes
 * registered after it. Both are public: they describe the API and expose no data (SECURITY.md).
 */
export function registerOpenApi(app: FastifyInstance, info: ApiInfo): void {
  const routes = collectRoutes(app);
  let document: OpenApiDocument | undefined;
  // built on first use, when every route is registered (no route is added once the server listens)
  const current = () => {
    document ??= openApiDocument(routes, info);
    return document;
  };
  app.get(
    OPENAPI_PATH,
    {
      config: describeRoute({
        summary: "This document",
        description:
          "The OpenAPI 3.1 description of every `/api` and `/webhooks` route, generated from the zod schemas that validate their bodies.",
        tags: ["Reference"],
        auth: "public",
        responses: { 200: { description: "The OpenAPI document", body: { OpenApiDocument: OpenApiShape } } },
      }),
    },
    async (_request, reply) => reply.header("cache-control", "no-cache").send(current()),
  );
  app.get(
    DOCS_PATH,
    {
      config: describeRoute({
        summary: "This reference as a page",
        description:
          "The document as HTML, in English, Indonesian or Polish (`Accept-Language`, or `?lang=`).",
        tags: ["Reference"],
        auth: "public",
        query: { lang: { description: "en, id or pl; else the browser's Accept-Language" } },
        responses: { 200: { description: "The reference page", contentType: "text/html" } },
      }),
    },
    async (request, reply) => {
      const lang = (request.query as { lang?: unknown }).lang;
      const locale = preferredLocale(typeof lang === "string" ? lang : request.headers["accept-language"]);
      return reply
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("content-security-policy", DOCS_CSP)
        .header("x-content-type-options", "nosniff")
        .send(renderDocsPage(current(), locale));
    },
  );
}

/** The page's own words. API texts (summaries, field rules, error messages) stay in English, as the API speaks it. */
const LABELS = {
  en: {
    reference: "API reference",
    contents: "Operations",
    document: "The machine-readable OpenAPI 3.1 document",
    auth: "Authentication",
    public: "none (public)",
    scope: "scope",
    parameters: "Parameters",
    body: "Request body",
    responses: "Responses",
    field: "Field",
    type: "Type",
    required: "Required",
    rules: "Rules",
    meaning: "Meaning",
    in: "In",
    yes: "yes",
    oneOf: "One of",
    otherwise: "Any other",
    errorShape:
      "Errors answer {error, message, issues[{path, message}]}: the message names the field at fault.",
  },
  id: {
    reference: "Referensi API",
    contents: "Operasi",
    document: "Dokumen OpenAPI 3.1 yang dapat dibaca mesin",
    auth: "Autentikasi",
    public: "tidak ada (publik)",
    scope: "cakupan",
    parameters: "Parameter",
    body: "Isi permintaan",
    responses: "Respons",
    field: "Kolom",
    type: "Tipe",
    required: "Wajib",
    rules: "Aturan",
    meaning: "Arti",
    in: "Di",
    yes: "ya",
    oneOf: "Salah satu dari",
    otherwise: "Selain itu",
    errorShape:
      "Galat menjawab {error, message, issues[{path, message}]}: pesannya menyebut kolom yang salah.",
  },
  pl: {
    reference: "Dokumentacja API",
    contents: "Operacje",
    document: "Dokument OpenAPI 3.1 do odczytu maszynowego",
    auth: "Uwierzytelnianie",
    public: "brak (publiczne)",
    scope: "zakres",
    parameters: "Parametry",
    body: "Treść żądania",
    responses: "Odpowiedzi",
    field: "Pole",
    type: "Typ",
    required: "Wymagane",
    rules: "Reguły",
    meaning: "Znaczenie",
    in: "W",
    yes: "tak",
    oneOf: "Jedno z",
    otherwise: "Każdy inny",
    errorShape:
      "Błędy mają postać {error, message, issues[{path, message}]}: komunikat wskazuje błędne pole.",
  },
} satisfies Record<Locale, Record<string, string>>;
type Labels = (typeof LABELS)["en"];

const STYLE = `
body{margin:0;background:#f6f7f9;color:#1a1a1a;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:64rem;margin:0 auto;padding:2rem 1rem}
h1{margin:0 0 .25rem;font-size:1.75rem}
h2{margin:2.5rem 0 .75rem;font-size:1.25rem;border-bottom:1px solid #d0d4da;padding-bottom:.25rem}
h3{margin:0;font-size:1.0625rem;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
h4{margin:1rem 0 .25rem;font-size:.9375rem;color:#374151}
section.op{background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgb(0 0 0/.12);padding:1rem 1.25rem;margin:0 0 1rem}
.method{display:inline-block;min-width:3.5rem;margin-right:.5rem;padding:.125rem .5rem;border-radius:.25rem;color:#fff;font-size:.8125rem;text-align:center}
.get{background:#1d4ed8}.post{background:#047857}.put,.patch{background:#b45309}.delete{background:#b91c1c}
.summary{margin:.25rem 0 0;font-weight:600}
.muted{color:#4b5563}
table{border-collapse:collapse;width:100%;font-size:.875rem;margin:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #e5e7eb}
th{color:#374151;font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.8125rem;word-break:break-word}
a{color:#1d4ed8}
nav ul{margin:0;padding-left:1.25rem;columns:2;column-gap:2rem}
nav li{margin:.125rem 0;break-inside:avoid}
`.trim();

/** The page loads nothing and runs no script; its one style block is allowed by hash. */
const DOCS_CSP = `default-src 'none'; style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

type Json = Record<string, unknown>;

/** Escaped prose whose `backticked` parts show as code. */
const prose = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, "<code>$1</code>");

/** The reference page: every operation with its auth, parameters, body fields and responses. */
export function renderDocsPage(doc: OpenApiDocument, locale: Locale): string {
  const l: Labels = LABELS[locale];
  const schemas = doc.components.schemas as Record<string, Json>;
  const byTag = new Map<string, string[]>();
  const index: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = String((op.tags as string[] | undefined)?.[0] ?? "");
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op, schemas, l)]);
      index.push(
        `<li><a href="#${escapeHtml(String(op.operationId))}"><code>${escapeHtml(`${method.toUpperCase()} ${path}`)}</code></a> ${escapeHtml(String(op.summary))}</li>`,
      );
    }
  }
  const sections = [...byTag.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tag, ops]) => `<h2>${escapeHtml(tag)}</h2>\n${ops.join("\n")}`);
  return [
    "<!doctype html>",
    `<html lang="${locale}">`,
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`${doc.info.title} · ${l.reference}`)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    `<h1>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)} · ${escapeHtml(l.reference)}</h1>`,
    `<p class="muted">${escapeHtml(doc.info.description)}</p>`,
    `<p><a href="${OPENAPI_PATH}">${escapeHtml(l.document)}</a> · <code>${OPENAPI_PATH}</code></p>`,
    `<p class="muted">${escapeHtml(l.errorShape)}</p>`,
    `<nav><h2>${escapeHtml(l.contents)}</h2><ul>${index.join("")}</ul></nav>`,
    ...sections,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function operationHtml(
  method: string,
  path: string,
  op: Json,
  schemas: Record<string, Json>,
  l: Labels,
): string {
  const parts = [
    `<section class="op" id="${escapeHtml(String(op.operationId))}">`,
    `<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span>${escapeHtml(path)}</h3>`,
    `<p class="summary">${escapeHtml(String(op.summary))}</p>`,
  ];
  if (op.description) parts.push(`<p class="muted">${prose(String(op.description))}</p>`);
  parts.push(`<h4>${escapeHtml(l.auth)}</h4><p>${authHtml(op.security as Json[], l)}</p>`);
  const parameters = (op.parameters as Json[] | undefined) ?? [];
  if (parameters.length > 0) {
    const rows = parameters.map(
      (p) =>
        `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td><td>${p.required ? l.yes : ""}</td><td>${prose(String(p.description ?? ""))}</td></tr>`,
    );
    parts.push(
      `<h4>${escapeHtml(l.parameters)}</h4><table><tr><th>${l.field}</th><th>${l.in}</th><th>${l.required}</th><th>${l.meaning}</th></tr>${rows.join("")}</table>`,
    );
  }
  const body = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
  if (body) {
    for (const [type, { schema }] of Object.entries(body.content)) {
      parts.push(
        `<h4>${escapeHtml(l.body)} <code>${escapeHtml(type)}</code></h4>`,
        schemaHtml(schema, schemas, l),
      );
    }
  }
  const responses = Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
    const content = r.content as Record<string, { schema?: Json }> | undefined;
    const schema = content && Object.values(content)[0]?.schema;
    const name = schema && typeof schema.$ref === "string" ? schema.$ref.split("/").pop() : undefined;
    return `<tr><td><code>${escapeHtml(status)}</code></td><td>${prose(String(r.description))}</td><td>${name ? `<code>${escapeHtml(name)}</code>` : ""}</td></tr>`;
  });
  parts.push(`<h4>${escapeHtml(l.responses)}</h4><table>${responses.join("")}</table>`, "</section>");
  return parts.join("\n");
}

function authHtml(security: Json[], l: Labels): string {
  const requirement = security[0];
  if (!requirement) return escapeHtml(l.public);
  const [name, scopes] = Object.entries(requirement)[0] as [keyof typeof SECURITY_SCHEMES, string[]];
  const scheme = SECURITY_SCHEMES[name];
  const what =
    "name" in scheme ? `<code>${escapeHtml(scheme.name)}</code>` : "<code>Authorization: Bearer</code>";
  const scope = scopes.length > 0 ? `, ${l.scope} <code>${escapeHtml(scopes.join(" "))}</code>` : "";
  return `${what}${scope}: <span class="muted">${prose(scheme.description)}</span>`;
}

/** A body schema as a table of dotted field paths; alternatives (`anyOf` of named schemas) one after the other. */
function schemaHtml(schema: Json, schemas: Record<string, Json>, l: Labels): string {
  const table = (alternative: Json, heading: string) => {
    const name = typeof alternative.$ref === "string" ? alternative.$ref.split("/").pop()! : "";
    const rows: string[] = [];
    fieldRows(resolve(alternative, schemas), "", true, schemas, rows, 0);
    const title = [heading, name && `<code>${escapeHtml(name)}</code>`].filter(Boolean).join(" ");
    return `${title ? `<p>${title}</p>` : ""}<table><tr><th>${l.field}</th><th>${l.type}</th><th>${l.required}</th><th>${l.rules}</th></tr>${rows.join("").replaceAll("{yes}", l.yes)}</table>`;
  };
  // the handler's own choice of schema by one property (if/then/else), else alternatives (anyOf)
  const choice = schema.if as { properties: Record<string, { const: unknown }> } | undefined;
  if (choice && schema.then && schema.else) {
    const [property, { const: value }] = Object.entries(choice.properties)[0]!;
    const when = `<code>${escapeHtml(`${property}: ${JSON.stringify(value)}`)}</code> →`;
    return table(schema.then as Json, when) + table(schema.else as Json, `${escapeHtml(l.otherwise)} →`);
  }
  const alternatives = (schema.anyOf as Json[] | undefined) ?? [schema];
  const tables = alternatives.map((alternative) => table(alternative, ""));
  return alternatives.length > 1
    ? `<p class="muted">${escapeHtml(l.oneOf)}:</p>${tables.join("")}`
    : tables.join("");
}

function resolve(schema: Json, schemas: Record<string, Json>): Json {
  return typeof schema.$ref === "string" ? (schemas[schema.$ref.split("/").pop()!] ?? {}) : schema;
}

function fieldRows(
  schema: Json,
  path: string,
  required: boolean,
  schemas: Record<string, Json>,
  rows: string[],
  depth: number,
) {
  if (path) {
    rows.push(
      `<tr><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(typeOf(schema))}</td><td>${required ? "{yes}" : ""}</td><td>${rulesOf(schema)}</td></tr>`,
    );
  }
  if (depth > 8) return;
  // an object's fields; an array's elements' fields under `path[]`; a map's values' fields under `path.<key>`
  const items = schema.items as Json | undefined;
  const values = schema.additionalProperties as Json | undefined;
  const [inner, prefix] =
    items && typeof items === "object"
      ? [resolve(items, schemas), `${path}[].`]
      : values && typeof values === "object" && values.properties
        ? [resolve(values, schemas), `${path}.<key>.`]
        : [schema, path ? `${path}.` : ""];
  const needed = new Set((inner.required as string[] | undefined) ?? []);
  for (const [key, child] of Object.entries((inner.properties as Record<string, Json> | undefined) ?? {})) {
    fieldRows(resolve(child, schemas), `${prefix}${key}`, needed.has(key), schemas, rows, depth + 1);
  }
}

function typeOf(schema: Json): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map(typeOf).join(" | ");
  if (schema.type === "array") {
    const items = (schema.items as Json | undefined) ?? {};
    return `${items.properties ? "object" : typeOf(items)}[]`;
  }
  return typeof schema.type === "string"
    ? schema.type
    : Array.isArray(schema.type)
      ? schema.type.join(" | ")
      : "any";
}

const RULES: [key: string, label: string][] = [
  ["format", "format"],
  ["minLength", "min length"],
  ["maxLength", "max length"],
  ["minimum", "≥"],
  ["exclusiveMinimum", ">"],
  ["maximum", "≤"],
  ["maxItems", "max items"],
  ["default", "default"],
];

function rulesOf(schema: Json): string {
  const rules: string[] = [];
  if (Array.isArray(schema.enum))
    rules.push(`one of ${schema.enum.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(", ")}`);
  const names = (schema.propertyNames as Json | undefined)?.enum;
  if (Array.isArray(names))
    rules.push(`keys: ${names.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(", ")}`);
  for (const [key, label] of RULES) {
    if (schema[key] !== undefined)
      rules.push(`${escapeHtml(label)} <code>${escapeHtml(JSON.stringify(schema[key]))}</code>`);
  }
  // a date-time's or email's pattern says no more than its format
  if (typeof schema.pattern === "string" && schema.format === undefined)
    rules.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`);
  if (Array.isArray(schema.anyOf)) {
    for (const alternative of schema.anyOf as Json[]) {
      if (typeof alternative.pattern === "string")
        rules.push(`pattern <code>${escapeHtml(alternative.pattern)}</code>`);
    }
  }
  return rules.join("; ");
}
