import type { FastifyInstance } from "fastify";
import { HOME } from "../auth/next.ts";
import { render } from "../views/render.ts";

/** `GET /console` (to the inbox) and the inbox page: an empty state until the real inbox replaces it. */
export function registerHome(scope: FastifyInstance): void {
  scope.get("/", async (_request, reply) => reply.redirect(HOME, 302));
  scope.get("/inbox", async (_request, reply) => render(reply, "inbox", {}, { title: "inbox.title" }));
}
