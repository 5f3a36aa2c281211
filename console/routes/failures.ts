import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { recordAudit } from "../auth/audit.ts";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
import { discardFailure, listOpenFailures } from "../failures.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { render } from "../views/render.ts";

const ADMINS = { preHandler: requireRole("admin") };

/** Notices the page shows after a redirect (`?done=`). */
const NOTICES = { resolved: "failures.resolved", discarded: "failures.discarded" } as const;

/**
 * `GET /console/failures`: the inbound items kept because they could not be stored (`InboundFailure`),
 * most recently failing first, with their error, first and last failure, count and a payload excerpt.
 * `POST /console/failures/:id/retry` runs the item through its channel's path again (resolved when it is
 * stored now; the page shows the new error when not); `POST /console/failures/:id/discard` hides it. Both
 * audited. Admins only.
 */
export function registerFailures(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get<{ Querystring: { done?: string } }>("/failures", ADMINS, async (request, reply) => {
    const notice = NOTICES[request.query.done as keyof typeof NOTICES];
    return show(reply, { notice: notice && t(request.consoleView.locale, notice) });
  });

  scope.post<{ Params: { id: string } }>("/failures/:id/retry", ADMINS, async (request, reply) => {
    const id = z.uuid().safeParse(request.params.id);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const { locale } = request.consoleView;
    if (!deps.retryInboundFailure)
      return show(reply, { alert: t(locale, "failures.unavailable"), status: 503 });
    const outcome = await deps.retryInboundFailure(id.data);
    if (outcome.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    await recordAudit(deps.db, {
      staffUserId: request.staff!.id,
      action: "inbound_failure.retry",
      targetType: "InboundFailure",
      targetId: id.data,
      data: { outcome: outcome.kind },
      at: new Date(deps.clock.now()),
    });
    switch (outcome.kind) {
      case "resolved":
        return reply.redirect("/console/failures?done=resolved", 303);
      case "failed":
        return show(reply, {
          alert: t(locale, "failures.failedAgain", { error: outcome.error }),
          status: 409,
        });
      case "no_handler":
        return show(reply, {
          alert: t(locale, "failures.noHandler", { channel: outcome.channel }),
          status: 409,
        });
    }
  });

  scope.post<{ Params: { id: string } }>("/failures/:id/discard", ADMINS, async (request, reply) => {
    const id = z.uuid().safeParse(request.params.id);
    const acting = { staffUserId: request.staff!.id, now: new Date(deps.clock.now()) };
    if (!id.success || !(await discardFailure(deps.db, id.data, acting)))
      return sendProblem(reply, { kind: "not_found" });
    return reply.redirect("/console/failures?done=discarded", 303);
  });

  async function show(
    reply: FastifyReply,
    options: { notice?: string; alert?: string; status?: number },
  ): Promise<FastifyReply> {
    const failures = await listOpenFailures(deps.db);
    return render(
      reply,
      "failures",
      { failures, notice: options.notice, alert: options.alert },
      { status: options.status, title: "failures.title" },
    );
  }
}
