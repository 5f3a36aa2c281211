import type { FastifyInstance, RouteOptions } from "fastify";
import { z } from "zod";
import type { ApiScope } from "./api-tokens.ts";

/*
 * How to describe a new route (every `/api/*` and `/webhooks/*` route must be; test/lib/openapi.test.ts fails
 * on one that is not):
 *
 *   app.post("/api/things", { onRequest: jsonOnly, config: describeRoute({
 *     summary: "Store a thing", tags: ["Things"],
 *     auth: { token: "things:write" },            // or { signature: "rapportSignature" } / "public"
 *     body: { ThingBody },                         // THE zod schema the handler calls safeParse with
 *     responses: { 201: { description: "Stored", body: { ThingStored } }, 400: "The body … names the field" },
 *   }) }, handler);
 *
 * The body schema must be the very zod schema the handler validates with, so the document cannot drift from the
 * code. Query parameters the handler reads by hand are listed in `query`. 401 and 403 (token) or 401
 * (signature) are added from `auth`. Nothing here validates: handlers keep their own parsing and messages.
 */

/** How callers authenticate, as OpenAPI security schemes. */
export const SECURITY_SCHEMES = {
  apiToken: {
    type: "http",
    scheme: "bearer",
    description:
      "An API token (`rpt_…`) created by an admin in the console or with `rapport tokens create --scope …`, sent as " +
      "`Authorization: Bearer rpt_…`. Each route names the scope it needs: a token without it gets 403 " +
      "`insufficient_scope`; no token, an unknown or a revoked one 401. Every use is audited.",
  },
  rapportSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Rapport-Signature",
    description:
      "`sha256=<hex HMAC-SHA256 of the raw body>`, keyed with RAPPORT_WEBHOOK_SECRET (generated into " +
      "`.data/secrets/webhook-secret` when unset). The bytes signed are the bytes sent.",
  },
  shopifyHmac: {
    type: "apiKey",
    in: "header",
    name: "X-Shopify-Hmac-Sha256",
    description:
      "Shopify's base64 HMAC-SHA256 of the raw body, keyed with SHOPIFY_WEBHOOK_SECRET (the app's client secret).",
  },
  wooCommerceSignature: {
    type: "apiKey",
    in: "header",
    name: "X-WC-Webhook-Signature",
    description:
      "WooCommerce's base64 HMAC-SHA256 of the raw body, keyed with WOOCOMMERCE_WEBHOOK_SECRET (the webhook's secret).",
  },
  telegramSecretToken: {
    type: "apiKey",
    in: "header",
    name: "X-Telegram-Bot-Api-Secret-Token",
    description:
      "The `secret_token` Rapport gave Telegram's setWebhook (TELEGRAM_WEBHOOK_SECRET, or generated).",
  },
  svixSignature: {
    type: "apiKey",
    in: "header",
    name: "svix-signature",
    description:
      'Resend\'s Svix signature: `v1,<base64 HMAC-SHA256 of "svix-id.svix-timestamp.body">` keyed with ' +
      "RESEND_WEBHOOK_SECRET (`whsec_…`); `svix-timestamp` must be within 5 minutes of the server's clock.",
  },
  hubSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Hub-Signature-256",
    description:
      "Meta's `sha256=<hex HMAC-SHA256 of the raw body>` keyed with WHATSAPP_APP_SECRET (the Meta app's secret).",
  },
  twilioSignature: {
    type: "apiKey",
    in: "header",
    name: "X-Twilio-Signature",
    description:
      "Twilio's base64 HMAC-SHA1 of the full request URL followed by the POST parameters sorted by name (each " +
      "name then its value), keyed with the account's auth token.",
  },
} as const;

export type SignatureScheme = Exclude<keyof typeof SECURITY_SCHEMES, "apiToken">;

/** Named zod schemas: `{ RedeemBody }`. Several name alternatives: the value is any one of them. */
export type NamedSchemas = Record<string, z.ZodType>;

/** One response: its description, and the body's schema (an error status defaults to {@link ApiError}). */
export type ResponseDoc =
  | string
  | { description: string; body?: NamedSchemas; contentType?: string; headers?: Record<string, string> };

/** What the OpenAPI document says of one route. */
export interface RouteDoc {
  summary: string;
  description?: string;
  tags: readonly string[];
  /** Who may call it: a token with a scope, a signature scheme, or anyone. */
  auth: { token: ApiScope } | { signature: SignatureScheme } | "public";
  /** The body: the zod schema(s) the handler validates it with (several: any one of them). */
  body?: NamedSchemas;
  /**
   * When the handler picks the body's schema by one property (`type: "purchase"` → PurchaseEvent, any other →
   * GenericEvent), that choice: the first schema of `body` when `property` equals `value`, else the second.
   * Without it several schemas are alternatives (`anyOf`).
   */
  chosenBy?: { property: string; value: string };
  /** The body's media type. Defaults to application/json. */
  bodyType?: string;
  /** Query parameters the handler reads. */
  query?: Record<string, { description: string; required?: boolean; example?: string }>;
  /** Request headers other than the auth's own (a signature's id and timestamp). */
  headers?: Record<string, { description: string; required?: boolean }>;
  responses: Record<number, ResponseDoc>;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route's OpenAPI description: set with {@link describeRoute}. */
    openapi?: RouteDoc;
  }
}

/** The route option `config` that describes a route: `{ config: describeRoute({...}) }`. */
export function describeRoute(doc: RouteDoc): { openapi: RouteDoc } {
  return { openapi: doc };
}

/** The project's error answer: `error` is a stable code, `message` names the field at fault. */
export const ApiError = z.looseObject({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A route as registered on the server, with its description when it has one. */
export interface RegisteredRoute {
  method: string;
  url: string;
  doc?: RouteDoc;
}

/** Records every route registered on `app` from now on (Fastify's onRoute hook), HEAD duplicates left out. */
export function collectRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.addHook("onRoute", (route: RouteOptions) => {
    for (const method of [route.method].flat()) {
      if (method === "HEAD") continue;
      routes.push({ method, url: route.url, doc: route.config?.openapi });
    }
  });
  return routes;
}

/** The `info` of the document. */
export interface ApiInfo {
  title: string;
  version: string;
  description: string;
}

export type OpenApiDocument = {
  openapi: "3.1.0";
  info: ApiInfo;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: typeof SECURITY_SCHEMES };
  tags: { name: string }[];
};

type Operation = Record<string, unknown> & { responses: Record<string, unknown> };

const ERROR_REF = { $ref: "#/components/schemas/ApiError" };
const STATUS_TEXT: Record<number, string> = {
  401: "Unauthorized: the credential is missing or wrong; nothing is stored",
  403: "The token lacks this route's scope (`insufficient_scope`, naming it)",
};

/**
 * The OpenAPI 3.1 document of the described routes: bodies and responses from their zod schemas (JSON Schema
 * 2020-12, input side: what a caller may send), security from {@link SECURITY_SCHEMES}. A schema name given to
 * two different schemas is an error.
 */
export function openApiDocument(routes: readonly RegisteredRoute[], info: ApiInfo): OpenApiDocument {
  const registry = z.registry<{ id: string }>();
  const named = new Map<string, z.ZodType>([["ApiError", ApiError]]);
  registry.add(ApiError, { id: "ApiError" });
  const refs = (schemas: NamedSchemas) => {
    const list = Object.entries(schemas).map(([name, schema]) => {
      const known = named.get(name);
      if (known && known !== schema) throw new Error(`OpenAPI: two different schemas are named ${name}`);
      if (!known) {
        named.set(name, schema);
        registry.add(schema, { id: name });
      }
      return { $ref: `#/components/schemas/${name}` };
    });
    return list.length === 1 ? list[0] : { anyOf: list };
  };
  /** The body as the handler chooses its schema: JSON Schema's if/then/else on the choosing property. */
  const bodySchema = (doc: RouteDoc & { body: NamedSchemas }) => {
    if (!doc.chosenBy) return refs(doc.body);
    const [first, second, ...more] = Object.entries(doc.body);
    if (!first || !second || more.length > 0)
      throw new Error("OpenAPI: chosenBy needs exactly two body schemas");
    const { property, value } = doc.chosenBy;
    return {
      if: { properties: { [property]: { const: value } }, required: [property] },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, never awaited
      then: refs(Object.fromEntries([first])),
      else: refs(Object.fromEntries([second])),
    };
  };

  const paths: OpenApiDocument["paths"] = {};
  const tags = new Set<string>();
  for (const route of [...routes].sort(
    (a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method),
  )) {
    const doc = route.doc;
    if (!doc) continue;
    for (const tag of doc.tags) tags.add(tag);
    const path = route.url.replace(/:(\w+)/g, "{$1}");
    const parameters = [
      ...parametersIn("path", Object.fromEntries([...route.url.matchAll(/:(\w+)/g)].map((m) => [m[1]!, {}]))),
      ...parametersIn("query", doc.query ?? {}),
      ...parametersIn("header", doc.headers ?? {}),
    ];
    const responses: Record<string, unknown> = {};
    const given: Record<number, ResponseDoc> = { ...doc.responses };
    // a signed route that refuses a bad signature with 403 (Twilio's) says so itself: no 401 added to it
    const signedWith403 = typeof doc.auth === "object" && "signature" in doc.auth && given[403] !== undefined;
    if (doc.auth !== "public" && !signedWith403) given[401] ??= STATUS_TEXT[401]!;
    if (typeof doc.auth === "object" && "token" in doc.auth) given[403] ??= STATUS_TEXT[403]!;
    for (const [status, response] of Object.entries(given).sort(([a], [b]) => Number(a) - Number(b))) {
      const r = typeof response === "string" ? { description: response } : response;
      const schema = r.body ? refs(r.body) : Number(status) >= 400 ? ERROR_REF : undefined;
      responses[status] = {
        description: r.description,
        ...(r.headers && {
          headers: Object.fromEntries(
            Object.entries(r.headers).map(([name, description]) => [
              name,
              { description, schema: { type: "string" } },
            ]),
          ),
        }),
        ...(schema && { content: { [r.contentType ?? "application/json"]: { schema } } }),
        ...(!schema && r.contentType && { content: { [r.contentType]: {} } }),
      };
    }
    const operation: Operation = {
      operationId: operationId(route.method, route.url),
      summary: doc.summary,
      ...(doc.description && { description: doc.description }),
      tags: [...doc.tags],
      security:
        doc.auth === "public"
          ? []
          : "token" in doc.auth
            ? [{ apiToken: [doc.auth.token] }]
            : [{ [doc.auth.signature]: [] }],
      ...(parameters.length > 0 && { parameters }),
      ...(doc.body && {
        requestBody: {
          required: true,
          content: {
            [doc.bodyType ?? "application/json"]: { schema: bodySchema({ ...doc, body: doc.body }) },
          },
        },
      }),
      responses,
    };
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation;
  }

  const generated = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  const schemas = Object.fromEntries(
    Object.entries(generated.schemas)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, { $schema: _dialect, $id: _id, ...schema }]) => [name, schema]),
  );
  return {
    openapi: "3.1.0",
    info,
    paths,
    components: { schemas, securitySchemes: SECURITY_SCHEMES },
    tags: [...tags].sort().map((name) => ({ name })),
  };
}

/** OpenAPI parameters (all strings) from their descriptions; a path parameter is always required. */
function parametersIn(
  where: "path" | "query" | "header",
  params: Record<string, { description?: string; required?: boolean; example?: string }>,
) {
  return Object.entries(params).map(([name, p]) => ({
    name,
    in: where,
    required: where === "path" || (p.required ?? false),
    ...(p.description !== undefined && { description: p.description }),
    schema: { type: "string" },
    ...(p.example !== undefined && { example: p.example }),
  }));
}

/** `POST /api/customers/lookup` → `postApiCustomersLookup`. */
function operationId(method: string, url: string): string {
  const words = url.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}
