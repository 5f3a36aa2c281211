import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Locale } from "../../lib/channels.ts";
import { requireRole } from "../auth/guard.ts";
import { bestName } from "../customers/name.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import {
  type Acting,
  type ActionResult,
  addNote,
  assignConversation,
  setConversationStatus,
  snoozeConversation,
} from "../inbox/actions.ts";
import { unfilledPlaceholders } from "../inbox/canned.ts";
import { type Collision, parseSeen } from "../inbox/collision.ts";
import { findConversation } from "../inbox/conversation.ts";
import { filterQueryString, InboxQuery } from "../inbox/filters.ts";
import { addLabel, parseLabel, removeLabel } from "../inbox/labels.ts";
import { nextConversation } from "../inbox/list.ts";
import { createTypingThrottle } from "../inbox/presence.ts";
import { closeAsStaff, replyAsStaff, retryConversationDelivery } from "../inbox/reply.ts";
import { SNOOZE_CHOICES, snoozeUntil } from "../inbox/snooze.ts";
import type { ConversationLiveEvent, LiveHub } from "../live.ts";
import { sendProblem } from "../problems.ts";
import { wantsPage } from "../request.ts";
import { renderConversationPage } from "./conversation.ts";

/** Who may change conversations: agents and admins (marketers read only). */
const HANDLERS = { preHandler: requireRole("admin", "agent") };

const Id = z.object({ id: z.uuid() });
const Message = z.object({ text: z.string().trim().min(1).max(4000), formId: z.uuid() });
/** A reply: what the page showed (`seen`, `shown`, see inbox/collision.ts) and "Send anyway" (`force=1`). */
const Reply = Message.extend({
  seen: z.union([z.iso.datetime(), z.literal("")]).optional(),
  shown: z.string().max(16_000).optional(),
  force: z.literal("1").optional(),
});
const Assign = z.object({ assignee: z.union([z.enum(["me", ""]), z.uuid()]) });
const Snooze = z.object({ choice: z.enum([...SNOOZE_CHOICES, "wake"]), at: z.string().max(40).optional() });
const Status = z.object({ status: z.enum(["open", "pending"]) });
/** A label to add or to take off (as typed: "Refund" is stored as "refund"). */
const Labels = z.union([
  z.object({ add: z.string().max(200).transform(parseLabel).pipe(z.string()) }),
  z.object({ remove: z.string().max(200).transform(parseLabel).pipe(z.string()) }),
]);
const Presence = z.object({ state: z.enum(["viewing", "typing", "left"]) });

type Params = { Params: { id: string } };

/**
 * The staff actions on a conversation, agents and admins only, each audited and told to every open console:
 * reply, note, assign, snooze, reopen or mark pending, close (with the rating survey), retry a failed
 * message, and presence pings for the collision warning. A form post comes back to the conversation (303);
 * a script's request gets JSON.
 */
export function registerConversationActions(
  scope: FastifyInstance,
  deps: ConsoleDeps & { live: LiveHub },
): void {
  const typingMayGo = createTypingThrottle(deps.clock);
  const acting = (request: FastifyRequest): Acting => ({
    staffUserId: request.staff!.id,
    now: new Date(deps.clock.now()),
  });
  const publish = (
    request: FastifyRequest,
    event: Omit<ConversationLiveEvent, "staffUserId" | "staffName">,
  ) => deps.live.publish({ ...event, staffUserId: request.staff!.id, staffName: nameOf(request) });

  scope.post<Params>("/conversations/:id/reply", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Reply.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    if (!deps.queues) return unavailable(reply);
    const conversationId = id.data.id;
    const { formId, text, seen, shown, force } = form.data;
    const unfilled = unfilledPlaceholders(text);
    if (unfilled.length > 0)
      return refuseUnfilled(request, reply, conversationId, { text, formId }, unfilled);
    const result = await replyAsStaff(
      { db: deps.db, queues: deps.queues, clock: deps.clock },
      { conversationId, formId, text, seen: parseSeen(seen, shown), force: force === "1" },
      acting(request),
    );
    if (result.kind === "collision")
      return refuseReply(request, reply, conversationId, { text, formId }, result.collision);
    if (result.kind === "skipped") {
      if (result.reason === "no_conversation") return sendProblem(reply, { kind: "not_found" });
      if (wantsPage(request))
        return reply.redirect(`/console/conversations/${conversationId}?problem=${result.reason}`, 303);
      return reply
        .status(409)
        .send({ error: result.reason, message: "this conversation has no thread to reply in" });
    }
    if (!result.duplicate)
      publish(request, { conversationId, kind: "message", deliveryId: result.deliveryId });
    // the posts it answered change on every open listening desk too
    for (const interactionId of result.answeredHits ?? []) {
      deps.live.publish({
        kind: "listening",
        interactionId,
        status: "answered",
        staffUserId: request.staff!.id,
        staffName: nameOf(request),
      });
    }
    return done(request, reply, conversationId, { ref: `d-${result.deliveryId}`, status: result.status });
  });

  scope.post<Params>("/conversations/:id/note", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Message.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    const conversationId = id.data.id;
    const result = await addNote(
      deps.db,
      conversationId,
      { id: form.data.formId, text: form.data.text },
      acting(request),
    );
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    if (!result.duplicate)
      publish(request, { conversationId, kind: "message", interactionId: result.interactionId });
    return done(request, reply, conversationId, { ref: `i-${result.interactionId}` });
  });

  scope.post<Params>("/conversations/:id/assign", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Assign.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    const { assignee } = form.data;
    const assigneeId = assignee === "me" ? request.staff!.id : assignee || null;
    const result = await assignConversation(deps.db, id.data.id, assigneeId, acting(request));
    return statusChanged(request, reply, id.data.id, result, "assigned");
  });

  scope.post<Params>("/conversations/:id/snooze", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Snooze.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    const now = acting(request);
    const { choice, at } = form.data;
    const until = choice === "wake" ? null : snoozeUntil(choice, at, now.now, request.consoleView.timezone);
    if (until === undefined) return sendProblem(reply, { kind: "bad_request" });
    const result = await snoozeConversation(deps.db, id.data.id, until, now);
    return statusChanged(request, reply, id.data.id, result, until ? "snoozed" : "woken");
  });

  scope.post<Params>("/conversations/:id/status", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Status.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    const result = await setConversationStatus(deps.db, id.data.id, form.data.status, acting(request));
    return statusChanged(request, reply, id.data.id, result, form.data.status);
  });

  scope.post<Params>("/conversations/:id/close", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "bad_request" });
    const result = await closeAsStaff(deps.db, id.data.id, deps.closeConversation, acting(request));
    return statusChanged(request, reply, id.data.id, result, "closed");
  });

  // closes the conversation (as /close does) and opens the next one of the list the staff member came from
  scope.post<Params>("/conversations/:id/resolve-next", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "bad_request" });
    const conversation = await findConversation(deps.db, id.data.id);
    if (!conversation) return sendProblem(reply, { kind: "not_found" });
    const now = acting(request);
    const result = await closeAsStaff(deps.db, conversation.id, deps.closeConversation, now);
    if (result.kind !== "done") return statusChanged(request, reply, conversation.id, result, "closed");
    publish(request, { conversationId: conversation.id, kind: "status", status: "closed" });
    const query = InboxQuery.parse(request.query ?? {});
    const filters = filterQueryString(query);
    const next = await nextConversation(
      deps.db,
      query,
      { id: conversation.id, lastMessageAt: conversation.lastMessageAt },
      { staffUserId: now.staffUserId, now: now.now },
    );
    const target = `/console/${next ? `conversations/${next}` : "inbox"}${filters ? `?${filters}` : ""}`;
    if (wantsPage(request)) return reply.redirect(target, 303);
    return reply.header("cache-control", "no-store").send({ ok: true, status: "closed", next: target });
  });

  scope.post<Params>("/conversations/:id/labels", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Labels.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    const result =
      "add" in form.data
        ? await addLabel(deps.db, id.data.id, form.data.add, acting(request))
        : await removeLabel(deps.db, id.data.id, form.data.remove, acting(request));
    return statusChanged(request, reply, id.data.id, result, "labelled");
  });

  scope.post<Params>("/deliveries/:id/retry", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    if (!id.success) return sendProblem(reply, { kind: "bad_request" });
    if (!deps.queues) return unavailable(reply);
    const result = await retryConversationDelivery(
      { db: deps.db, queues: deps.queues, clock: deps.clock },
      id.data.id,
      acting(request),
    );
    if (result.kind === "missing" || !result.conversationId) return sendProblem(reply, { kind: "not_found" });
    if (result.kind === "not_failed" && !wantsPage(request))
      return reply
        .status(409)
        .send({ error: "not_failed", message: `the message is ${result.status}, not failed` });
    if (result.kind === "queued")
      publish(request, {
        conversationId: result.conversationId,
        kind: "delivery",
        deliveryId: id.data.id,
        status: "queued",
      });
    return done(request, reply, result.conversationId, { ref: `d-${id.data.id}` });
  });

  scope.post<Params>("/conversations/:id/presence", HANDLERS, async (request, reply) => {
    const id = Id.safeParse(request.params);
    const form = Presence.safeParse(request.body ?? {});
    if (!id.success || !form.success) return sendProblem(reply, { kind: "bad_request" });
    const { state } = form.data;
    const conversationId = id.data.id;
    if (state === "typing") {
      if (typingMayGo(request.staff!.id, conversationId))
        publish(request, { conversationId, kind: "typing" });
    } else publish(request, { conversationId, kind: "presence", state });
    return reply.status(204).send();
  });

  /**
   * A reply refused because someone replied or the customer wrote meanwhile: 409, with the conversation page
   * again (the text in the box, the warning, "Send anyway") for a form, or JSON for the page's script.
   */
  async function refuseReply(
    request: FastifyRequest,
    reply: FastifyReply,
    conversationId: string,
    draft: { text: string; formId: string },
    collision: Collision,
  ) {
    const conversation = await findConversation(deps.db, conversationId);
    if (!conversation) return sendProblem(reply, { kind: "not_found" });
    const locale = request.consoleView.locale;
    const warnings = collisionWarnings(locale, collision, bestName(conversation.names, locale));
    if (wantsPage(request))
      return renderConversationPage(deps, request, reply, conversation, {
        status: 409,
        refused: { ...draft, warnings },
      });
    return reply
      .status(409)
      .header("cache-control", "no-store")
      .send({
        error: collision.staff.length > 0 ? "replied_meanwhile" : "customer_wrote",
        by:
          collision.staff.length > 0
            ? collision.staff.map((name) => name || t(locale, "conversation.author.staff")).join(", ")
            : bestName(conversation.names, locale),
        staff: collision.staff,
        customer: collision.customer,
        refs: collision.refs,
        message: warnings.join(" "),
        formId: draft.formId,
      });
  }

  /**
   * A reply with a placeholder left unfilled (empty for this customer, no fallback): 422, never sent, even
   * "anyway". The page comes back with the text and which placeholder it is; a script gets JSON.
   */
  async function refuseUnfilled(
    request: FastifyRequest,
    reply: FastifyReply,
    conversationId: string,
    draft: { text: string; formId: string },
    placeholders: string[],
  ) {
    const message = t(request.consoleView.locale, "conversation.placeholderUnfilled", {
      placeholders: placeholders.join(", "),
    });
    if (wantsPage(request)) {
      const conversation = await findConversation(deps.db, conversationId);
      if (!conversation) return sendProblem(reply, { kind: "not_found" });
      return renderConversationPage(deps, request, reply, conversation, {
        status: 422,
        refused: { ...draft, warnings: [message], mayForce: false },
      });
    }
    return reply
      .status(422)
      .header("cache-control", "no-store")
      .send({ error: "empty_placeholder", placeholders, message, formId: draft.formId });
  }

  function statusChanged(
    request: FastifyRequest,
    reply: FastifyReply,
    conversationId: string,
    result: ActionResult,
    status: string,
  ) {
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    if (result.kind === "invalid") return sendProblem(reply, { kind: "bad_request" });
    publish(request, { conversationId, kind: "status", status });
    return done(request, reply, conversationId, { status });
  }
}

/** The warnings of a refused reply, in the staff member's language: one per thing that happened. */
function collisionWarnings(locale: Locale, collision: Collision, customerName: string): string[] {
  const staff = t(locale, "conversation.author.staff");
  return [
    ...collision.staff.map((name) =>
      t(locale, "conversation.collision.refusedStaff", { name: name || staff }),
    ),
    ...(collision.customer
      ? [
          t(locale, "conversation.collision.refusedCustomer", {
            name: customerName,
          }),
        ]
      : []),
  ];
}

function nameOf(request: FastifyRequest): string {
  const staff = request.staff!;
  return staff.name || staff.email;
}

/**
 * A form post goes back to the conversation, with the inbox filters its form carried (the list beside it); a
 * script gets JSON, with a fresh form id for its next message.
 */
function done(request: FastifyRequest, reply: FastifyReply, conversationId: string, json: object) {
  if (wantsPage(request)) {
    const filters = filterQueryString(InboxQuery.parse(request.query ?? {}));
    return reply.redirect(`/console/conversations/${conversationId}${filters ? `?${filters}` : ""}`, 303);
  }
  return reply.header("cache-control", "no-store").send({ ok: true, ...json, formId: randomUUID() });
}

function unavailable(reply: FastifyReply) {
  return reply.status(503).send({
    error: "unavailable",
    message: "the console was started without queues: replies cannot be sent",
  });
}
