import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { tokenWritesDone } from "./api-tokens.ts";
import { cleanJson, cleanText, type JsonLimits } from "./clean-text.ts";
import type { Logger } from "./logger.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The body exactly as received, for signature checks. Set for JSON bodies. */
    rawBody?: Buffer;
  }
}

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  log: Logger;
  /** Largest accepted body in bytes. Defaults to 1 MiB. */
  bodyLimit?: number;
  /**
   * Which proxies' `X-Forwarded-For` to believe for the client's address (rate limits count per address):
   * false (none: the default, so no client can pick its own address), a number of hops, or addresses/CIDRs.
   */
  trustProxy?: boolean | string[] | ((address: string, hop: number) => boolean);
}

/**
 * Bounds of every JSON body: no payload Rapport reads nests anywhere near this deep, and a body nested 100 000
 * levels (which `JSON.parse` reads, but any recursive code after it, Prisma included, overflows the stack on)
 * is refused with 400 before anything else touches it. Each field has its own tighter bounds in its schema.
 */
export const JSON_BODY_LIMITS: JsonLimits = { maxDepth: 64, maxKeys: 100_000 };

/**
 * The Fastify instance every HTTP surface registers on (events API, webhooks, console). JSON bodies keep
 * their raw bytes for signature checks, and a malformed body gets a 400 that says where it broke. Parsed
 * bodies (JSON and forms) come without U+0000 and lone surrogates, which PostgreSQL cannot store
 * (see `lib/clean-text.ts`); the raw bytes are left as sent.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: options.trustProxy ?? false,
    routerOptions: { querystringParser: parseQuery },
  });
  // the API token audit rows written after their answers: written before the database closes
  app.addHook("onClose", () => tokenWritesDone());
  // path parameters too: `/console/campaigns/%00/pause` would otherwise reach a database query and fail it
  app.addHook("onRequest", async (request) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (params === null || typeof params !== "object") return;
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === "string") params[name] = cleanText(value);
    }
  });
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    const read = readJsonBody(raw);
    if (read.ok) return done(null, read.value);
    const error = Object.assign(new Error(read.message), { statusCode: 400, code: "invalid_body" });
    done(read.issues ? Object.assign(error, { issues: read.issues }) : error, undefined);
  });
  // form bodies (WooCommerce's webhook ping) keep their raw bytes too
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "buffer" },
    (request, body, done) => {
      request.rawBody = body as Buffer;
      const fields = new URLSearchParams((body as Buffer).toString("utf8"));
      done(null, Object.fromEntries([...fields].map(([key, value]) => [cleanText(key), cleanText(value)])));
    },
  );
  // a 4xx thrown by a domain function (InvalidEventError) answers like a route's own: error, message, issues
  app.setErrorHandler(
    (error: Error & { statusCode?: number; code?: string; issues?: unknown }, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error, url: request.url }, "request failed");
      else request.log.warn({ url: request.url, reason: error.message }, "request rejected");
      void reply.status(status).send({
        error: status >= 500 ? "internal_error" : (error.code ?? "bad_request"),
        message: status >= 500 ? "internal error" : error.message,
        ...(status < 500 && Array.isArray(error.issues) && { issues: error.issues }),
      });
    },
  );
  app.get("/healthz", async () => ({ ok: true }));
  return app;
}

/**
 * A raw JSON body as a value, cleaned of what PostgreSQL cannot store and within {@link JSON_BODY_LIMITS}, or
 * why not (`malformed JSON body: …`, `JSON body refused: it nested deeper than 64 levels … at a.a.a`). For
 * handlers that take the bytes raw to check a signature first.
 */
export function readJsonBody(raw: Buffer): JsonBodyRead {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    return {
      ok: false,
      message: `malformed JSON body: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const cleaned = cleanJson(parsed, JSON_BODY_LIMITS);
  if (cleaned.ok) return cleaned;
  const where = cleaned.path.length > 0 ? ` at ${shortPath(cleaned.path)}` : "";
  return {
    ok: false,
    message: `JSON body refused: it ${cleaned.message}${where}`,
    issues: [{ path: cleaned.path.join(".") || "(body)", message: cleaned.message }],
  };
}

/** What {@link readJsonBody} made of a body; `issues` (zod-style, naming the field) when it parsed. */
export type JsonBodyRead =
  | { ok: true; value: unknown }
  | { ok: false; message: string; issues?: { path: string; message: string }[] };

/**
 * Route hook (`onRequest: jsonOnly`) for endpoints that read a signed JSON body: any other Content-Type gets
 * 415 "send application/json" before the body is read or the signature checked, so a sender who signed the
 * right bytes but labelled them `text/plain` is told the real fault rather than "invalid signature".
 */
export async function jsonOnly(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  return acceptOnly(JSON_TYPES, request, reply);
}

/**
 * {@link jsonOnly} for a handler that reads every body raw and checks its signature first (Resend's): the 415
 * answer when the request is not `application/json`, else undefined.
 */
export function refuseUnlessJson(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  return acceptOnly(JSON_TYPES, request, reply);
}

/** {@link jsonOnly} that also lets a form body through (WooCommerce pings a new webhook with one). */
export async function jsonOrForm(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  return acceptOnly(JSON_OR_FORM_TYPES, request, reply);
}

const JSON_TYPES = ["application/json"];
const JSON_OR_FORM_TYPES = ["application/json", "application/x-www-form-urlencoded"];

function acceptOnly(types: string[], request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
  const header = request.headers["content-type"];
  const media = (header ?? "").split(";")[0]!.trim().toLowerCase();
  if (types.includes(media)) return undefined;
  request.log.warn({ url: request.url, contentType: header }, "request rejected: not JSON");
  const given = header ? `"${header.slice(0, 100)}"` : "missing";
  return reply.status(415).send({
    error: "unsupported_media_type",
    message: `send application/json: this endpoint reads a JSON body, and the request's Content-Type was ${given}`,
  });
}

/** A validation error's issues as the API answers them: the field's dotted path (`(body)` for the whole body). */
export function bodyIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message }));
}

/** Answers 400 `invalid_body` naming each field at fault (`issues[].path`), as every API route does. */
export function sendInvalidBody(
  reply: FastifyReply,
  issues: readonly { path: string; message: string }[],
): FastifyReply {
  return reply.status(400).send({
    error: "invalid_body",
    message: issues.map((i) => `${i.path}: ${i.message}`).join("; "),
    issues,
  });
}

/**
 * A query string as Fastify's default parser gives it (a repeated key becomes an array, no prototype), with
 * U+0000 and lone surrogates dropped: `?q=%00` would otherwise reach a database query and fail it.
 */
function parseQuery(query: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null);
  for (const [rawKey, rawValue] of new URLSearchParams(query)) {
    const key = cleanText(rawKey);
    const value = cleanText(rawValue);
    const seen = fields[key];
    fields[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return fields;
}

/** A zod-style path for a message, its middle left out when long: `properties.a.a.a.….a.a`. */
function shortPath(path: (string | number)[]): string {
  const parts = path.map(String);
  return (parts.length > 8 ? [...parts.slice(0, 4), "…", ...parts.slice(-3)] : parts).join(".");
}

/** TRUST_PROXY as Fastify's `trustProxy`: unset → false; "1" → the nearest hop; "true"; or addresses/CIDRs. */
export function trustProxyOption(
  value: string | undefined,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(",").map((part) => part.trim());
}
