import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { WEBHOOK_EVENTS } from "../../lib/standard-webhooks.ts";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { repeatedFormField } from "../request.ts";
import { render } from "../views/render.ts";
import { recentWebhookMessages, replayWebhookMessage } from "../webhook-messages.ts";
import {
  addWebhookSubscription,
  badWebhookFields,
  changeWebhookSubscription,
  checkWebhookUrl,
  listWebhookSubscriptions,
  splitList,
  unknownWebhookEvents,
  WEBHOOK_LIMITS,
  type WebhookChange,
} from "../webhooks.ts";
import { ListField } from "./tokens.ts";

const ADMINS = { preHandler: requireRole("admin") };
/** Messages the subscription page shows, newest first. */
const MESSAGES_SHOWN = 100;

const AddForm = z.object({
  name: z.string().max(10_000).default(""),
  url: z.string().max(10_000).default(""),
  events: ListField,
  fields: z.string().max(10_000).default(""),
});

/** The add form's values and what is wrong with them, to show it again. */
interface FormState {
  values: { name: string; url: string; events: readonly string[]; fields: string };
  errors?: { name?: string; url?: string; events?: string; fields?: string };
}

const BLANK: FormState = { values: { name: "", url: "", events: [], fields: "" } };

/** Notices a page shows after a redirect (`?done=`). */
const DONE = {
  paused: "webhooks.done.paused",
  resumed: "webhooks.done.resumed",
  removed: "webhooks.done.removed",
  replayed: "webhooks.done.replayed",
} as const;
const noticeOf = (done: string | undefined) => (done ? DONE[done as keyof typeof DONE] : undefined);

const CHANGED: Record<WebhookChange, keyof typeof DONE> = {
  pause: "paused",
  resume: "resumed",
  remove: "removed",
};

/**
 * `GET /console/webhooks` lists the outbound webhook subscriptions with the form that adds one; `POST
 * /console/webhooks` adds it and answers a page showing its signing secret this once; `POST
 * /console/webhooks/:id/pause|resume|remove` change one. `GET /console/webhooks/:id` shows its newest
 * messages with every try, and `POST /console/webhooks/:id/messages/:messageId/replay` queues one again.
 * Every change audited (console/webhooks.ts, shared with `rapport webhooks`). Admins only.
 */
export function registerWebhooks(scope: FastifyInstance, deps: ConsoleDeps): void {
  const at = () => new Date(deps.clock.now());

  scope.get<{ Querystring: { done?: string } }>("/webhooks", ADMINS, async (request, reply) => {
    const notice = noticeOf(request.query.done);
    return show(reply, BLANK, { notice: notice && t(request.consoleView.locale, notice) });
  });

  scope.post("/webhooks", ADMINS, async (request, reply) => {
    const parsed = AddForm.safeParse(request.body ?? {});
    if (!parsed.success) return sendProblem(reply, { kind: "bad_request" });
    const { locale } = request.consoleView;
    const form = parsed.data;
    const events = splitList(repeatedFormField(request, "events") ?? form.events);
    const fields = splitList(form.fields);
    const values = { name: form.name, url: form.url, events, fields: form.fields };
    const errors: NonNullable<FormState["errors"]> = {};
    const url = checkWebhookUrl(form.url);
    if (!url.ok) errors.url = t(locale, `webhooks.error.${url.problem}`);
    if (events.length === 0 || unknownWebhookEvents(events).length > 0)
      errors.events = t(locale, "webhooks.error.events");
    const bad = badWebhookFields(fields);
    if (bad.length > 0 || fields.length > WEBHOOK_LIMITS.fields)
      errors.fields = t(locale, "webhooks.error.fields", { fields: bad.join(", ") || fields.join(", ") });
    if (form.name.trim().length > WEBHOOK_LIMITS.name)
      errors.name = t(locale, "webhooks.error.name", { max: WEBHOOK_LIMITS.name });
    if (!url.ok || Object.keys(errors).length > 0) return show(reply, { values, errors }, { status: 400 });
    const staff = request.staff!;
    const added = await addWebhookSubscription(
      deps.db,
      { name: form.name, url: url.url, events, fields },
      { staffUserId: staff.id, by: staff.email },
      at(),
    );
    // the secret is in this answer's body only (no redirect, no log); render() sends it with no-store
    return render(
      reply,
      "webhooks-created",
      {
        name: added.name,
        url: url.url,
        events: events.includes("*") ? t(locale, "webhooks.allEvents") : events.join(", "),
        secret: added.secret,
      },
      { status: 201, title: "webhooks.createdTitle" },
    );
  });

  for (const change of Object.keys(CHANGED) as WebhookChange[]) {
    scope.post<{ Params: { id: string } }>(`/webhooks/:id/${change}`, ADMINS, async (request, reply) => {
      const staff = request.staff!;
      const changed = await changeWebhookSubscription(
        deps.db,
        request.params.id,
        change,
        { staffUserId: staff.id, by: staff.email },
        at(),
      );
      if (!changed) return sendProblem(reply, { kind: "not_found" });
      return reply.redirect(`/console/webhooks?done=${CHANGED[change]}`, 303);
    });
  }

  scope.get<{ Params: { id: string }; Querystring: { done?: string } }>(
    "/webhooks/:id",
    ADMINS,
    async (request, reply) => {
      const notice = noticeOf(request.query.done);
      return showMessages(reply, request.params.id, {
        notice: notice && t(request.consoleView.locale, notice),
      });
    },
  );

  scope.post<{ Params: { id: string; messageId: string } }>(
    "/webhooks/:id/messages/:messageId/replay",
    ADMINS,
    async (request, reply) => {
      const { locale } = request.consoleView;
      const { id, messageId } = request.params;
      if (!deps.queues) {
        return showMessages(reply, id, { alert: t(locale, "webhooks.replayUnavailable"), status: 503 });
      }
      const staff = request.staff!;
      const outcome = await replayWebhookMessage(
        deps.db,
        deps.queues,
        { subscriptionId: id, messageId },
        { staffUserId: staff.id, by: staff.email },
        at(),
      );
      if (outcome === "not_found") return sendProblem(reply, { kind: "not_found" });
      if (outcome === "inactive") {
        return showMessages(reply, id, { alert: t(locale, "webhooks.replayInactive"), status: 409 });
      }
      return reply.redirect(`/console/webhooks/${id.toLowerCase()}?done=replayed`, 303);
    },
  );

  async function show(
    reply: FastifyReply,
    form: FormState,
    options: { notice?: string; status?: number } = {},
  ): Promise<FastifyReply> {
    const subscriptions = await listWebhookSubscriptions(deps.db);
    return render(
      reply,
      "webhooks",
      {
        subscriptions,
        form,
        eventOptions: ["*", ...WEBHOOK_EVENTS].map((event) => ({
          event,
          all: event === "*",
          checked: form.values.events.includes(event),
        })),
        urlMax: WEBHOOK_LIMITS.url,
        nameMax: WEBHOOK_LIMITS.name,
        notice: options.notice,
      },
      { status: options.status, title: "webhooks.title" },
    );
  }

  async function showMessages(
    reply: FastifyReply,
    id: string,
    options: { notice?: string; alert?: string; status?: number } = {},
  ): Promise<FastifyReply> {
    const parsed = z.uuid().safeParse(id);
    const subscription = parsed.success
      ? await deps.db.webhookSubscription.findUnique({ where: { id: parsed.data.toLowerCase() } })
      : null;
    if (!subscription) return sendProblem(reply, { kind: "not_found" });
    const messages = await recentWebhookMessages(deps.db, subscription.id, MESSAGES_SHOWN);
    return render(
      reply,
      "webhooks-messages",
      {
        subscription: { ...subscription, secret: undefined },
        messages: messages.map((m) => ({
          ...m,
          attemptLog: m.attemptLog.map((a) => ({
            ...a,
            ok: a.status !== null && a.status >= 200 && a.status < 300,
          })),
        })),
        limit: MESSAGES_SHOWN,
        notice: options.notice,
        alert: options.alert,
      },
      { status: options.status, title: "webhooks.title" },
    );
  }
}
