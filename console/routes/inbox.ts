import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
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
  scope.get("/inbox", { preHandler: READERS }, async (request, reply) => {
    const staff = request.staff!;
    const query = InboxQuery.parse(request.query ?? {});
    const list = await inboxListModel(deps, staff.id, query, {
      action: "/console/inbox",
      locale: request.consoleView.locale,
    });
    return render(
      reply,
      "inbox",
      {
        list,
        me: staff.id,
        canReply: staff.role !== "marketer",
        isAdmin: staff.role === "admin",
        script: assetUrl("inbox.js"),
      },
      { title: "inbox.title" },
    );
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
