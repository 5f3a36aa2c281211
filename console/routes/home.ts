import type { FastifyInstance } from "fastify";
import { HOME } from "../auth/next.ts";

/** `GET /console`: to the inbox (routes/inbox.ts). */
export function registerHome(scope: FastifyInstance): void {
  scope.get("/", async (_request, reply) => reply.redirect(HOME, 302));
}
