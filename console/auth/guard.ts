import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { StaffRole } from "../../lib/db/index.ts";
import { sendProblem } from "../problems.ts";
import { isHtmx, wantsPage } from "../request.ts";
import { loginUrl } from "./next.ts";

/**
 * The console's gate, run before every console route that is not marked `consolePublic` or `consoleStatic`
 * (so a new page is protected without asking): with nobody signed in, a browser opening a page is sent to
 * the login page (`?next=` brings it back), and anything else (fetch, htmx, SSE, form posts from scripts)
 * gets 401 JSON. htmx also gets `HX-Redirect` to the login page.
 */
export async function requireSignedIn(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const config = request.routeOptions.config;
  if (config.consolePublic || config.consoleStatic || request.staff) return;
  const isRead = request.method === "GET" || request.method === "HEAD";
  if (wantsPage(request))
    return reply.redirect(isRead ? loginUrl(request.url) : "/console/login", isRead ? 302 : 303);
  if (isHtmx(request)) void reply.header("hx-redirect", loginUrl(request.headers["hx-current-url"]));
  return reply.status(401).send({ error: "unauthenticated", message: "sign in at /console/login" });
}

/**
 * A route's `preHandler` letting only some roles through; anyone else signed in gets 403 (a page naming the
 * roles that may, or JSON). Admins are not implied: list every role that may open the page.
 *
 * @example app.get("/staff", { preHandler: requireRole("admin") }, handler)
 */
export function requireRole(...roles: [StaffRole, ...StaffRole[]]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const staff = request.staff;
    if (!staff) return requireSignedIn(request, reply);
    if (!roles.includes(staff.role)) return sendProblem(reply, { kind: "forbidden", roles });
  };
}
