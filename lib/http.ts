import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
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
 * The Fastify instance every HTTP surface registers on (events API, webhooks, console). JSON bodies keep
 * their raw bytes for signature checks, and a malformed body gets a 400 that says where it broke.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.log.child({ component: "http" }) as FastifyBaseLogger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: options.trustProxy ?? false,
  });
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const raw = body as Buffer;
    request.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(raw.toString("utf8")));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      done(Object.assign(new Error(`malformed JSON body: ${reason}`), { statusCode: 400 }), undefined);
    }
  });
  // form bodies (WooCommerce's webhook ping) keep their raw bytes too
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "buffer" },
    (request, body, done) => {
      request.rawBody = body as Buffer;
      done(null, Object.fromEntries(new URLSearchParams((body as Buffer).toString("utf8"))));
    },
  );
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error, url: request.url }, "request failed");
    else request.log.warn({ url: request.url, reason: error.message }, "request rejected");
    void reply.status(status).send({
      error: status >= 500 ? "internal_error" : (error.code ?? "bad_request"),
      message: status >= 500 ? "internal error" : error.message,
    });
  });
  app.get("/healthz", async () => ({ ok: true }));
  return app;
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
