import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LOCALES } from "../../lib/channels.ts";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import {
  CANNED_PLACEHOLDERS,
  CannedForm,
  createCanned,
  deleteCanned,
  listCanned,
  updateCanned,
} from "../inbox/canned.ts";
import { LOCALE_NAMES } from "../locale.ts";
import { sendProblem } from "../problems.ts";
import { assetUrl } from "../static.ts";
import { render } from "../views/render.ts";

const ADMINS = { preHandler: requireRole("admin") };
const NOTICES = { added: "canned.added", saved: "canned.saved", deleted: "canned.deleted" } as const;

interface FormState {
  id?: string;
  values: { shortcut: string; locale: string; title: string; body: string };
  error?: string;
}

/** A placeholder with a fallback, as the page shows it in each language. */
const FALLBACK_EXAMPLE = {
  en: '{{default customer.firstName "there"}}',
  id: '{{default customer.firstName "Kak"}}',
  pl: '{{default customer.firstName "Państwo"}}',
} as const;

const BLANK: FormState = { values: { shortcut: "", locale: "en", title: "", body: "" } };

/**
 * `GET /console/canned`: the canned responses staff pick from in the reply box, per locale, with a form to add
 * one or edit one (`?edit=<id>`); `POST /console/canned`, `/canned/:id` and `/canned/:id/delete` change them,
 * each audited. Admins only.
 */
export function registerCanned(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get<{ Querystring: { edit?: string; done?: string } }>("/canned", ADMINS, async (request, reply) => {
    const edit = z.uuid().safeParse(request.query.edit);
    const row = edit.success ? await deps.db.cannedResponse.findUnique({ where: { id: edit.data } }) : null;
    const form: FormState = row
      ? {
          id: row.id,
          values: { shortcut: row.shortcut, locale: row.locale, title: row.title, body: row.body },
        }
      : BLANK;
    const notice = NOTICES[request.query.done as keyof typeof NOTICES];
    return show(request, reply, form, { notice: notice && t(request.consoleView.locale, notice) });
  });

  scope.post("/canned", ADMINS, async (request, reply) => {
    const parsed = CannedForm.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(request, reply, undefined);
    const result = await createCanned(deps.db, parsed.data, acting(request));
    if (result.kind === "exists") return exists(request, reply, undefined, parsed.data);
    return reply.redirect("/console/canned?done=added", 303);
  });

  scope.post<{ Params: { id: string } }>("/canned/:id", ADMINS, async (request, reply) => {
    const id = z.uuid().safeParse(request.params.id);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const parsed = CannedForm.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(request, reply, id.data);
    const result = await updateCanned(deps.db, id.data, parsed.data, acting(request));
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    if (result.kind === "exists") return exists(request, reply, id.data, parsed.data);
    return reply.redirect("/console/canned?done=saved", 303);
  });

  scope.post<{ Params: { id: string } }>("/canned/:id/delete", ADMINS, async (request, reply) => {
    const id = z.uuid().safeParse(request.params.id);
    if (!id.success || !(await deleteCanned(deps.db, id.data, acting(request))))
      return sendProblem(reply, { kind: "not_found" });
    return reply.redirect("/console/canned?done=deleted", 303);
  });

  const acting = (request: FastifyRequest) => ({
    staffUserId: request.staff!.id,
    now: new Date(deps.clock.now()),
  });

  function valuesOf(body: unknown): FormState["values"] {
    const fields = (body ?? {}) as Record<string, unknown>;
    const text = (name: string) => (typeof fields[name] === "string" ? (fields[name] as string) : "");
    return {
      shortcut: text("shortcut"),
      locale: text("locale") || "en",
      title: text("title"),
      body: text("body"),
    };
  }

  function invalid(request: FastifyRequest, reply: FastifyReply, id: string | undefined) {
    const error = t(request.consoleView.locale, "canned.invalid");
    return show(request, reply, { id, values: valuesOf(request.body), error }, { status: 400 });
  }

  function exists(request: FastifyRequest, reply: FastifyReply, id: string | undefined, form: CannedForm) {
    const error = t(request.consoleView.locale, "canned.exists", {
      shortcut: form.shortcut,
      locale: form.locale,
    });
    return show(request, reply, { id, values: form, error }, { status: 409 });
  }

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    form: FormState,
    options: { status?: number; notice?: string } = {},
  ) {
    const rows = await listCanned(deps.db);
    return render(
      reply,
      "canned",
      {
        rows,
        form,
        notice: options.notice,
        placeholders: CANNED_PLACEHOLDERS.map((name) => `{{${name}}}`),
        fallbackExample: FALLBACK_EXAMPLE[request.consoleView.locale],
        localeOptions: LOCALES.map((code) => ({
          code,
          name: LOCALE_NAMES[code],
          selected: code === form.values.locale,
        })),
        script: assetUrl("inbox.js"),
      },
      { status: options.status, title: "canned.title" },
    );
  }
}
