import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import { registerWebchatApi } from "./api.ts";
import { registerWebchatAssets } from "./assets.ts";
import { createWebchatHub, type WebchatHub } from "./hub.ts";
import type { WebchatOptions } from "./options.ts";
import { registerWebchatStream } from "./stream.ts";

/**
 * The web chat's HTTP surface on the shared Fastify instance: the widget script and demo page, and the
 * visitor API under `/webchat/api` (session, messages, history, identify, and the SSE event stream). The
 * API answers any origin (CORS `*`): the widget runs on the brand's own site, and a visitor is
 * authenticated by the token in the request, never by cookies.
 *
 * @returns the hub to build the outbound Channel from: `createWebchatChannel(hub)`.
 */
export async function registerWebchat(app: FastifyInstance, options: WebchatOptions): Promise<WebchatHub> {
  const hub = options.hub ?? createWebchatHub({ clock: options.clock });
  await app.register(async (scope) => {
    await scope.register(rateLimit, {
      global: false, // only the routes that name their limit (api.ts)
      ...(options.redis && {
        redis: options.redis,
        nameSpace: `${options.redisPrefix ?? "rapport"}:ratelimit:webchat:`,
      }),
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: "rate_limited",
        message: `too many requests: try again in ${context.after}`,
      }),
    });
    scope.addHook("onRequest", async (request, reply) => {
      if (!request.url.startsWith("/webchat/api/")) return;
      void reply.header("access-control-allow-origin", "*");
    });
    scope.options("/webchat/api/*", async (_request, reply) =>
      reply
        .status(204)
        .header("access-control-allow-methods", "GET, POST, OPTIONS")
        .header("access-control-allow-headers", "content-type, last-event-id")
        .header("access-control-max-age", "86400")
        .send(),
    );
    registerWebchatAssets(scope, options);
    registerWebchatApi(scope, options);
    registerWebchatStream(scope, options, hub);
  });
  return hub;
}
