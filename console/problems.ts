import type { FastifyReply } from "fastify";
import type { StaffRole } from "../lib/db/index.ts";
import { formatList } from "./format.ts";
import { type ConsoleTextKey, t } from "./i18n.ts";
import { wantsPage } from "./request.ts";
import { render } from "./views/render.ts";

/** A request the console refuses, and why. */
export type Problem =
  | { kind: "forbidden"; roles: readonly StaffRole[] }
  | { kind: "csrf" }
  | { kind: "not_found" }
  | { kind: "bad_request" }
  | { kind: "server" };

const STATUS = { forbidden: 403, csrf: 403, not_found: 404, bad_request: 400, server: 500 } as const;
const CODE = {
  forbidden: "forbidden",
  csrf: "csrf_failed",
  not_found: "not_found",
  bad_request: "bad_request",
  server: "internal_error",
} as const;
const TEXT: Record<Problem["kind"], [ConsoleTextKey, ConsoleTextKey]> = {
  forbidden: ["error.forbidden.title", "error.forbidden.body"],
  csrf: ["error.csrf.title", "error.csrf.body"],
  not_found: ["error.notFound.title", "error.notFound.body"],
  bad_request: ["error.badRequest.title", "error.badRequest.body"],
  server: ["error.server.title", "error.server.body"],
};

/**
 * Answers a refused request in the staff member's language: an error page for a browser, else JSON
 * `{ error, message }` (fetch, htmx, SSE), like the rest of the HTTP API.
 */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  const { locale } = reply.request.consoleView;
  const roles =
    problem.kind === "forbidden"
      ? formatList(
          problem.roles.map((role) => t(locale, `role.${role}`)),
          locale,
        )
      : "";
  const [titleKey, bodyKey] = TEXT[problem.kind];
  const title = t(locale, titleKey);
  const body = t(locale, bodyKey, { roles });
  if (!wantsPage(reply.request)) {
    return reply
      .status(STATUS[problem.kind])
      .send({ error: CODE[problem.kind], message: `${title}. ${body}` });
  }
  return render(reply, "error", { title, body }, { status: STATUS[problem.kind], title: titleKey });
}
