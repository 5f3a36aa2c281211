import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Locale } from "../../lib/channels.ts";
import { bestName } from "../customers/name.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { assignableStaff, markRead } from "../inbox/actions.ts";
import { cannedFor, fillPlaceholders } from "../inbox/canned.ts";
import { seenMark } from "../inbox/collision.ts";
import { type ConversationSummary, findConversation } from "../inbox/conversation.ts";
import { filterQueryString, InboxQuery } from "../inbox/filters.ts";
import { labelsInUse } from "../inbox/labels.ts";
import { customerPanel } from "../inbox/panel.ts";
import { SNOOZE_CHOICES } from "../inbox/snooze.ts";
import { loadThread, loadThreadItem, THREAD_LIMIT } from "../inbox/thread.ts";
import type { LiveHub } from "../live.ts";
import { sendProblem } from "../problems.ts";
import { assetUrl } from "../static.ts";
import { render } from "../views/render.ts";
import { READERS } from "./inbox.ts";
import { inboxListModel } from "./inbox-list.ts";

/** Why a reply could not go out, shown on the page it comes back to (`?problem=`). */
const PROBLEMS = { no_thread: "conversation.problem.noThread" } as const;

/**
 * The toolbar's data: status, assignee, snooze, labels, and the actions a staff member may take. Its forms
 * carry the inbox filters of the page (`listQuery`), so that after an action the list beside the conversation
 * is the one the staff member came from, and "Resolve and next" goes to the next conversation of that list.
 */
async function toolbarModel(deps: ConsoleDeps, request: FastifyRequest, conversation: ConversationSummary) {
  const staff = request.staff!;
  const now = deps.clock.now();
  const [assignable, labels] = await Promise.all([assignableStaff(deps.db), labelsInUse(deps.db)]);
  const listQuery = filterQueryString(InboxQuery.parse(request.query ?? {}));
  return {
    conversation,
    listQuery,
    /** Appended to the toolbar's form actions. */
    listSuffix: listQuery ? `?${listQuery}` : "",
    closed: conversation.status === "closed",
    labelSuggestions: labels.filter((label) => !conversation.labels.includes(label)),
    canReply: staff.role !== "marketer",
    assignedToMe: conversation.assigneeId === staff.id,
    snoozed: conversation.snoozedUntil !== null && conversation.snoozedUntil.getTime() > now,
    staffOptions: assignable.map((s) => ({ ...s, selected: s.id === conversation.assigneeId })),
    snoozeOptions: SNOOZE_CHOICES,
  };
}

/** The placeholders of a canned response, for this customer and staff member. */
function placeholderValues(deps: ConsoleDeps, request: FastifyRequest, conversation: ConversationSummary) {
  const staff = request.staff!;
  return {
    // the name the customer gave, or the channel's: never an email or a "Visitor from …" in a greeting
    customerName: conversation.names.name ?? conversation.names.displayName ?? null,
    brand: deps.brandName,
    agentName: staff.name || staff.email.split("@")[0] || staff.email,
  };
}

/** "This customer has no value for {{customer.firstName}}: …", in the staff member's language. */
function cannedEmpty(locale: Locale, placeholders: string[]): string {
  return t(locale, "conversation.cannedEmpty", { placeholders: placeholders.join(", ") });
}

/** What a reply that was refused brings back to the page: the text typed, its form, and why. */
export interface RefusedReply {
  text: string;
  formId: string;
  /** The warnings to show, in the staff member's language. */
  warnings: string[];
  /** Whether "Send anyway" may override (a collision); false for what no one may send. Defaults to true. */
  mayForce?: boolean;
}

/**
 * Renders a conversation page: the messages, the reply box (with its `seen` mark, read before the thread so
 * that nothing on the page is newer than the mark without being shown), the actions, the panel and the list.
 * A refused reply comes back with its text in the box, its form id, the warnings and "Send anyway".
 */
export async function renderConversationPage(
  deps: ConsoleDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  conversation: ConversationSummary,
  options: { status?: number; refused?: RefusedReply } = {},
): Promise<FastifyReply> {
  const staff = request.staff!;
  const canReply = staff.role !== "marketer";
  const seen = canReply ? await seenMark(deps.db, conversation) : undefined;
  const params = (request.query ?? {}) as Record<string, string | undefined>;
  const query = InboxQuery.parse(params);
  const [thread, panel, canned, toolbar, list] = await Promise.all([
    loadThread(
      deps.db,
      conversation,
      bestName(conversation.names, request.consoleView.locale),
      params.before,
    ),
    customerPanel(deps.db, conversation.customerId, { segmentsOf: deps.segmentsOf }),
    canReply ? cannedFor(deps.db, conversation.customerLocale) : Promise.resolve([]),
    toolbarModel(deps, request, conversation),
    inboxListModel(deps, staff.id, query, {
      action: "/console/inbox",
      locale: request.consoleView.locale,
      currentId: conversation.id,
    }),
  ]);
  const locale = request.consoleView.locale;
  const picked = canned.find((c) => c.id === params.canned);
  const filled = picked && fillPlaceholders(picked.body, placeholderValues(deps, request, conversation));
  const problem = PROBLEMS[params.problem as keyof typeof PROBLEMS];
  const { refused } = options;
  return render(
    reply,
    "conversation",
    {
      ...toolbar,
      me: staff.id,
      openedAt: new Date(deps.clock.now()),
      seen,
      list,
      thread: thread.items,
      // older messages: a link to them; on such a page, a link back to the latest
      earlier: thread.earlier && `/console/conversations/${conversation.id}?before=${thread.earlier}`,
      paged: Boolean(params.before),
      threadLimit: THREAD_LIMIT,
      panel: panel && { ...panel, now: new Date(deps.clock.now()) },
      canned,
      prefill: refused?.text ?? filled?.text ?? "",
      formId: refused?.formId ?? randomUUID(),
      refused: refused?.warnings,
      mayForce: refused ? refused.mayForce !== false : false,
      problem: filled?.empty.length ? cannedEmpty(locale, filled.empty) : problem && t(locale, problem),
      script: assetUrl("inbox.js"),
    },
    { title: "conversation.title", status: options.status },
  );
}

/**
 * `GET /console/conversations/:id`: the messages in platform order with each reply's delivery status, the
 * reply box (canned responses in the customer's language, internal notes), the actions, and the customer
 * panel; on a wide screen the inbox list sits at its left. Opening it marks it read (agents and admins).
 * Fragments for live updates: `/items/:ref` (one message) and `/toolbar`; `/canned/:id` fills a canned
 * response's placeholders for the reply box.
 */
export function registerConversation(scope: FastifyInstance, deps: ConsoleDeps & { live: LiveHub }): void {
  scope.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>(
    "/conversations/:id",
    { preHandler: READERS },
    async (request, reply) => {
      const conversation = await findConversation(deps.db, request.params.id);
      if (!conversation) return sendProblem(reply, { kind: "not_found" });
      const staff = request.staff!;
      const canReply = staff.role !== "marketer";
      if (canReply && conversation.unreadCount > 0 && (await markRead(deps.db, conversation.id))) {
        conversation.unreadCount = 0;
        deps.live.publish({
          conversationId: conversation.id,
          kind: "status",
          status: "read",
          staffUserId: staff.id,
        });
      }
      return renderConversationPage(deps, request, reply, conversation);
    },
  );

  scope.get<{ Params: { id: string; ref: string } }>(
    "/conversations/:id/items/:ref",
    { preHandler: READERS },
    async (request, reply) => {
      const conversation = await findConversation(deps.db, request.params.id);
      const item =
        conversation &&
        (await loadThreadItem(
          deps.db,
          conversation,
          request.params.ref,
          bestName(conversation.names, request.consoleView.locale),
        ));
      if (!item) return sendProblem(reply, { kind: "not_found" });
      const canReply = request.staff!.role !== "marketer";
      return render(reply, "conversation/item", { item, canReply }, { fragment: true });
    },
  );

  scope.get<{ Params: { id: string } }>(
    "/conversations/:id/toolbar",
    { preHandler: READERS },
    async (request, reply) => {
      const conversation = await findConversation(deps.db, request.params.id);
      if (!conversation) return sendProblem(reply, { kind: "not_found" });
      return render(reply, "conversation/toolbar", await toolbarModel(deps, request, conversation), {
        fragment: true,
      });
    },
  );

  scope.get<{ Params: { id: string; canned: string } }>(
    "/conversations/:id/canned/:canned",
    { preHandler: READERS },
    async (request, reply) => {
      const conversation = await findConversation(deps.db, request.params.id);
      const cannedId = z.uuid().safeParse(request.params.canned);
      if (!conversation || !cannedId.success) return sendProblem(reply, { kind: "not_found" });
      const canned = await deps.db.cannedResponse.findUnique({ where: { id: cannedId.data } });
      if (!canned) return sendProblem(reply, { kind: "not_found" });
      const filled = fillPlaceholders(canned.body, placeholderValues(deps, request, conversation));
      return reply.header("cache-control", "no-store").send({
        shortcut: canned.shortcut,
        locale: canned.locale,
        text: filled.text,
        empty: filled.empty,
        ...(filled.empty.length > 0 && { message: cannedEmpty(request.consoleView.locale, filled.empty) }),
      });
    },
  );
}
