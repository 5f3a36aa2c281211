import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { LOCALES } from "../../lib/channels.ts";
import { requireRole } from "../auth/guard.ts";
import {
  type ContactOwner,
  CustomerEditForm,
  type EditField,
  type EditProblem,
  editCustomer,
  editFormOf,
} from "../customers/edit.ts";
import { isUuid } from "../customers/ids.ts";
import { changeTags, MAX_TAGS, parseTags } from "../customers/tags.ts";
import type { ConsoleDeps } from "../deps.ts";
import { postalAddress } from "../format.ts";
import { t } from "../i18n.ts";
import { LOCALE_NAMES } from "../locale.ts";
import { sendProblem } from "../problems.ts";
import { render } from "../views/render.ts";
import { showProfile } from "./customers.ts";

type Params = { Params: { id: string } };

const AddTagsForm = z.object({ tags: z.string().max(2000).default("") });
const RemoveTagForm = z.object({ tag: z.string().min(1).max(100) });

/**
 * Staff's changes to a customer's own data, for admins and agents: tags (`POST /console/customers/:id/tags`
 * adds the comma-separated `tags`, `POST …/tags/remove` removes `tag`; audited as `customer.tags`) and the
 * details form (`GET`/`POST /console/customers/:id/edit`: name, email, phone, language, time zone and postal
 * address, audited as `customer.edit` with before and after of the changed fields). A refused field answers
 * 400 with the form and the field's message.
 */
export function registerCustomerEdits(scope: FastifyInstance, deps: ConsoleDeps): void {
  const staffOnly = { preHandler: requireRole("admin", "agent") };
  const actor = (request: FastifyRequest) => ({
    staffUserId: request.staff!.id,
    at: new Date(deps.clock.now()),
  });

  scope.post<Params>("/customers/:id/tags", staffOnly, async (request, reply) => {
    const form = AddTagsForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const locale = request.consoleView.locale;
    const typed = parseTags(form.data.tags);
    if (typed.kind === "invalid") {
      const tagError = t(locale, "customers.tagInvalid", { tag: typed.tag });
      return showProfile(request, reply, deps, { tagError, tagsTyped: form.data.tags, status: 400 });
    }
    const result = await changeTags(deps.db, request.params.id, { add: typed.tags }, actor(request));
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    if (result.kind === "too_many") {
      const tagError = t(locale, "customers.tagsTooMany", { max: String(MAX_TAGS) });
      return showProfile(request, reply, deps, { tagError, tagsTyped: form.data.tags, status: 400 });
    }
    return reply.redirect(`/console/customers/${request.params.id.toLowerCase()}#tags-heading`, 303);
  });

  scope.post<Params>("/customers/:id/tags/remove", staffOnly, async (request, reply) => {
    const form = RemoveTagForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const result = await changeTags(
      deps.db,
      request.params.id,
      { remove: [form.data.tag.trim().toLowerCase()] },
      actor(request),
    );
    if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
    return reply.redirect(`/console/customers/${request.params.id.toLowerCase()}#tags-heading`, 303);
  });

  scope.get<Params>("/customers/:id/edit", staffOnly, async (request, reply) => {
    if (!isUuid(request.params.id)) return sendProblem(reply, { kind: "not_found" });
    const row = await deps.db.customer.findUnique({ where: { id: request.params.id.toLowerCase() } });
    if (!row) return sendProblem(reply, { kind: "not_found" });
    if (row.mergedIntoId) return reply.redirect(`/console/customers/${row.mergedIntoId}/edit`, 302);
    const values = editFormOf({ ...row, address: postalAddress(row.address) });
    return showEdit(reply, deps, { id: row.id, name: row.name, email: row.email }, values);
  });

  scope.post<Params>("/customers/:id/edit", staffOnly, async (request, reply) => {
    const form = CustomerEditForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const result = await editCustomer(deps.db, request.params.id, form.data, actor(request));
    const id = request.params.id.toLowerCase();
    switch (result.kind) {
      case "not_found":
        return sendProblem(reply, { kind: "not_found" });
      case "saved":
        return reply.redirect(`/console/customers/${id}?saved=1`, 303);
      case "unchanged":
        return reply.redirect(`/console/customers/${id}?saved=0`, 303);
      case "invalid": {
        const row = await deps.db.customer.findUnique({ where: { id }, select: { name: true, email: true } });
        return showEdit(reply, deps, { id, name: row?.name ?? null, email: row?.email ?? null }, form.data, {
          errors: result.errors,
          owners: result.owners,
        });
      }
    }
  });
}

function showEdit(
  reply: FastifyReply,
  deps: ConsoleDeps,
  customer: { id: string; name: string | null; email: string | null },
  values: CustomerEditForm,
  refused?: {
    errors: Partial<Record<EditField, EditProblem>>;
    owners: { email?: ContactOwner; phone?: ContactOwner };
  },
): FastifyReply {
  const request = reply.request;
  const locale = request.consoleView.locale;
  const errors = Object.fromEntries(
    Object.entries(refused?.errors ?? {}).map(([field, problem]) => [
      field,
      t(locale, `customers.editError.${problem}`),
    ]),
  );
  return render(
    reply,
    "customers/edit",
    {
      customer,
      values,
      errors,
      owners: refused?.owners ?? {},
      hasErrors: Object.keys(errors).length > 0,
      canMerge: request.staff?.role === "admin" && Boolean(deps.mergeCustomers),
      localeOptions: LOCALES.map((code) => ({
        code,
        name: LOCALE_NAMES[code],
        selected: code === values.locale,
      })),
    },
    { title: "customers.editTitle", status: refused ? 400 : 200 },
  );
}
