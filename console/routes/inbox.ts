import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { recordAudit } from "../auth/audit.ts";
import { requireRole } from "../auth/guard.ts";
import { loadDemoData } from "../demo-data.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { filterQueryString, InboxQuery } from "../inbox/filters.ts";
import { conversationRow } from "../inbox/list.ts";
import { sendProblem } from "../problems.ts";
import { assetUrl } from "../static.ts";
import { render } from "../views/render.ts";
import { inboxListModel, rowModel } from "./inbox-list.ts";

/** Everyone who may read conversations: marketers too, who cannot change them. */
export const READERS = requireRole("admin", "agent", "marketer");

/**
 * `GET /console/inbox`: the conversations of every channel, filtered by status, channel, assignee and
 * locale, newest first, a keyset page at a time; `GET /console/inbox/rows/:id` is one row of it, for live
 * updates (204 when the conversation no longer matches the filters).
 */
export function registerInbox(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get<{ Querystring: { demo?: string } }>("/inbox", { preHandler: READERS }, async (request, reply) => {
    const staff = request.staff!;
    const query = InboxQuery.parse(request.query ?? {});
    const { locale } = request.consoleView;
    const loaded = Number(request.query.demo);
    const list = await inboxListModel(deps, staff.id, query, {
      action: "/console/inbox",
      locale,
    });
    return render(
      reply,
      "inbox",
      {
        list,
        me: staff.id,
        canReply: staff.role !== "marketer",
        isAdmin: staff.role === "admin",
        // a new installation's first steps: chat as a customer, or load the demo customers
        firstSteps: list.rows.length === 0 && !list.filtered && !list.after,
        notice:
          Number.isInteger(loaded) && loaded >= 0
            ? t(locale, "inbox.start.loaded", { count: loaded })
            : undefined,
        script: assetUrl("inbox.js"),
      },
      { title: "inbox.title" },
    );
  });

  // admins only, CSRF-checked as every console form; the purchases go through the events API's own functions
  scope.post("/inbox/demo-data", { preHandler: requireRole("admin") }, async (request, reply) => {
    const stored = await loadDemoData(deps);
    await recordAudit(deps.db, {
      staffUserId: request.staff!.id,
      action: "demo.load",
      data: { purchases: stored },
      at: new Date(deps.clock.now()),
    });
    return reply.redirect(`/console/inbox?demo=${stored}`, 303);
  });

  scope.get<{ Params: { id: string } }>(
    "/inbox/rows/:id",
    { preHandler: READERS },
    async (request, reply) => {
      const id = z.uuid().safeParse(request.params.id);
      if (!id.success) return sendProblem(reply, { kind: "not_found" });
      const query = InboxQuery.parse(request.query ?? {});
      const now = new Date(deps.clock.now());
      const row = await conversationRow(deps.db, id.data, query, { staffUserId: request.staff!.id, now });
      if (!row) return reply.status(204).header("cache-control", "no-store").send();
      return render(
        reply,
        "inbox/row",
        { row: rowModel(row, filterQueryString(query), now, request.consoleView.locale) },
        { fragment: true },
      );
    },
  );
}
