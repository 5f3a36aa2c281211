import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { CHANNEL_NAMES, type Locale } from "../../lib/channels.ts";
import { requireRole } from "../auth/guard.ts";
import { bestName } from "../customers/name.ts";
import type { ConsoleDeps } from "../deps.ts";
import { type Acting, assignableStaff } from "../inbox/actions.ts";
import {
  assignHit,
  type HitActionResult,
  openHitConversation,
  replyToHit,
  setHitStatus,
} from "../listening/actions.ts";
import { LISTENING_STATUSES, ListeningQuery, listeningQueryString } from "../listening/filters.ts";
import { hitRow, keywordsInUse, type ListeningRow, listHits } from "../listening/list.ts";
import type { LiveHub } from "../live.ts";
import { sendProblem } from "../problems.ts";
import { wantsPage } from "../request.ts";
import { assetUrl } from "../static.ts";
import { render } from "../views/render.ts";
import { READERS } from "./inbox.ts";

/** Who may act on hits: agents and admins (marketers read only). */
const HANDLERS = { preHandler: requireRole("admin", "agent") };

const Id = z.object({ id: z.uuid() });
const Reply = z.object({
  text: z.string().trim().min(1).max(4000),
  formId: z.uuid(),
  mode: z.enum(["public", "dm"]),
});
const Assign = z.object({ assignee: z.union([z.enum(["me", ""]), z.uuid()]) });
const Status = z.object({ status: z.enum(["new", "ignored", "escalated"]) });

type Params = { Params: { id: string } };

/** Characters of the author's other messages shown under a hit. */
const HISTORY_LENGTH = 100;

/** A hit as the `listening-row` partial shows it. */
function rowModel(
  row: ListeningRow,
  context: { query: string; locale: Locale; canAct: boolean; staff: unknown },
) {
  const name = bestName(row, context.locale);
  const named = Boolean(row.name?.trim() || row.displayName?.trim() || row.email?.trim());
  const suffix = context.query ? `?${context.query}` : "";
  return {
    ...row,
    shownName: name,
    handle: named ? row.handle : null,
    initial: [...name.replace(/^@/, "")][0]?.toUpperCase() ?? "?",
    profileHref: `/console/customers/${row.customerId}`,
    postHref:
      row.channel === "x" && row.externalId && /^\d+$/.test(row.externalId)
        ? `https://x.com/${row.handle ?? "i"}/status/${row.externalId}`
        : undefined,
    isMention: row.keywords.includes("mention"),
    keywordTags: row.keywords.filter((k) => k !== "mention"),
    history: row.history.map((item) => ({
      ...item,
      text: item.text.length > HISTORY_LENGTH ? `${item.text.slice(0, HISTORY_LENGTH - 1)}…` : item.text,
    })),
    moreHistory: row.historyCount - 1 > row.history.length,
    otherCount: Math.max(0, row.historyCount - 1),
    answered: row.status === "answered",
    canDm: row.channel === "x",
    canAct: context.canAct,
    staffOptions: context.staff,
    formId: randomUUID(),
    suffix,
  };
}

/**
 * The listening desk (issue 15): every public mention of the brand and keyword hit, newest first, filtered by
 * keyword, channel and status, each with its author (profile link, their other messages) and the actions —
 * reply publicly, reply by DM, open a conversation, assign, ignore, escalate — each audited and told live to
 * every open desk (the inbox's `/console/events` stream, `kind: "listening"`).
 */
export function registerListening(scope: FastifyInstance, deps: ConsoleDeps & { live: LiveHub }): void {
  const acting = (request: FastifyRequest): Acting => ({
    staffUserId: request.staff!.id,
    now: new Date(deps.clock.now()),
  });
  const publish = (request: FastifyRequest, interactionId: string, status: string) =>
    deps.live.publish({
      kind: "listening",
      interactionId,
      status,
      staffUserId: request.staff!.id,
      staffName: request.staff!.name || request.staff!.email,
    });

  scope.get("/listening", { preHandler: READERS }, async (request, reply) => {
    const query = ListeningQuery.parse(request.query ?? {});
    const { locale } = request.consoleView;
    const canAct = request.staff!.role !== "marketer";
    const [page, keywords, staff] = await Promise.all([
      listHits(deps.db, query),
      keywordsInUse(deps.db),
      canAct ? assignableStaff(deps.db) : Promise.resolve([]),
    ]);
    const filters = listeningQueryString(query);
    return render(
      reply,
      "listening",
      {
        query: filters,
        filtered: filters !== "",
        after: query.after,
        next: page.next,
        pager: Boolean(page.next || query.after),
        rows: page.rows.map((row) => rowModel(row, { query: filters, locale, canAct, staff })),
        keywordOptions: [...new Set([...keywords, ...(query.keyword ? [query.keyword] : [])])].map(
          (value) => ({
            value,
            mention: value === "mention",
            selected: value === query.keyword,
          }),
        ),
        channelOptions: CHANNEL_NAMES.map((value) => ({ value, selected: value === query.channel })),
        statusOptions: LISTENING_STATUSES.map((value) => ({ value, selected: value === query.status })),
        problem: (request.query as { problem?: string }).problem === "no_target",
        script: assetUrl("listening.js"),
      },
      { title: "listening.title" },
    );
  });

  scope.get<Params>("/listening/rows/:id", { preHandler: READERS }, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const query = ListeningQuery.parse(request.query ?? {});
    const row = await hitRow(deps.db, id.data.id, query);
    if (!row) {
      // no longer matching the page's filters: the page drops it; no such hit at all: 404
      const exists = await deps.db.listeningHit.count({ where: { interactionId: id.data.id } });
      if (exists === 0) return sendProblem(reply, { kind: "not_found" });
      return reply.status(204).header("cache-control", "no-store").send();
    }
    const canAct = request.staff!.role !== "marketer";
    const staff = canAct ? await assignableStaff(deps.db) : [];
    const { locale } = request.consoleView;
    const model = rowModel(row, { query: listeningQueryString(query), locale, canAct, staff });
    return render(reply, "listening/row", { row: model }, { fragment: true });
  });

  scope.post<Params>("/listening/:id/reply", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const form = Reply.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    if (!deps.queues)
      return reply.status(503).send({
        error: "unavailable",
        message: "the console was started without queues: replies cannot be sent",
      });
    const result = await replyToHit(
      { db: deps.db, queues: deps.queues, clock: deps.clock },
      id.data.id,
      form.data,
      acting(request),
    );
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    if (result.kind === "no_target") {
      if (wantsPage(request)) return back(request, reply, id.data.id, "no_target");
      return reply.status(409).send({ error: "no_target", message: "this post cannot be answered that way" });
    }
    if (!result.duplicate) publish(request, id.data.id, "answered");
    return done(request, reply, id.data.id, { deliveryId: result.deliveryId, status: result.status });
  });

  scope.post<Params>("/listening/:id/assign", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const form = Assign.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const { assignee } = form.data;
    const assigneeId = assignee === "me" ? request.staff!.id : assignee || null;
    const result = await assignHit(deps.db, id.data.id, assigneeId, acting(request));
    return changed(request, reply, id.data.id, result, "assigned");
  });

  scope.post<Params>("/listening/:id/status", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const form = Status.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const result = await setHitStatus(deps.db, id.data.id, form.data.status, acting(request));
    return changed(request, reply, id.data.id, result, form.data.status);
  });

  scope.post<Params>("/listening/:id/conversation", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const result = await openHitConversation(deps.db, id.data.id, acting(request));
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    publish(request, id.data.id, "conversation");
    if (wantsPage(request)) return reply.redirect(`/console/conversations/${result.conversationId}`, 303);
    return reply.header("cache-control", "no-store").send({ ok: true, ...result });
  });

  function changed(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    result: HitActionResult,
    status: string,
  ) {
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    if (result.kind === "invalid") return sendProblem(reply, { kind: "bad_request" });
    publish(request, id, status);
    return done(request, reply, id, {});
  }
}

/** Back to the desk, with its filters, at the hit. */
function back(request: FastifyRequest, reply: FastifyReply, id: string, problem?: string) {
  const params = new URLSearchParams(listeningQueryString(ListeningQuery.parse(request.query ?? {})));
  if (problem) params.set("problem", problem);
  const query = params.toString();
  return reply.redirect(`/console/listening${query ? `?${query}` : ""}#hit-${id}`, 303);
}

function done(request: FastifyRequest, reply: FastifyReply, id: string, json: object) {
  if (wantsPage(request)) return back(request, reply, id);
  return reply.header("cache-control", "no-store").send({ ok: true, ...json, formId: randomUUID() });
}
