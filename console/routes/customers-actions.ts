import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/guard.ts";
import { eraseCustomer } from "../customers/erase.ts";
import { isUuid } from "../customers/ids.ts";
import { planMerge } from "../customers/merge.ts";
import { searchCustomers } from "../customers/search.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { render } from "../views/render.ts";

const MergeQuery = z.object({
  other: z.string().max(320).optional().catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
});
const MergeForm = z.object({ other: z.string().min(1).max(320) });
const EraseForm = z.object({ confirm: z.string().max(320).default("") });

type Params = { Params: { id: string } };

/**
 * Admin-only changes to customers: merging two records of one person (`GET /console/customers/:id/merge`
 * picks the other and shows both, `POST` merges through `deps.mergeCustomers`, audited there as
 * `customer.merge`) and erasing one (`GET /console/customers/:id/erase` asks for their email address or id
 * typed in, `POST` erases, audited as `customer.erase` with counts only).
 */
export function registerCustomerActions(scope: FastifyInstance, deps: ConsoleDeps): void {
  const adminOnly = { preHandler: requireRole("admin") };

  scope.get<Params>("/customers/:id/merge", adminOnly, async (request, reply) => {
    const query = MergeQuery.parse(request.query ?? {});
    return showMerge(reply, deps, request.params.id, query.other ?? "", query.q ?? "");
  });

  scope.post<Params>("/customers/:id/merge", adminOnly, async (request, reply) => {
    const form = MergeForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const plan = await planMerge(deps.db, request.params.id, form.data.other);
    if (plan.kind !== "ready") return showMerge(reply, deps, request.params.id, form.data.other, "", 400);
    if (!deps.mergeCustomers) return showMerge(reply, deps, request.params.id, form.data.other, "", 503);
    const result = await deps.mergeCustomers(plan.survivor.id, plan.merged.id, request.staff!.id);
    return reply.redirect(`/console/customers/${result.survivorId}?merged=1`, 303);
  });

  scope.get<Params>("/customers/:id/erase", adminOnly, async (request, reply) =>
    showErase(reply, deps, request.params.id),
  );

  scope.post<Params>("/customers/:id/erase", adminOnly, async (request, reply) => {
    const form = EraseForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const result = await eraseCustomer(deps.db, request.params.id, form.data.confirm, {
      staffUserId: request.staff!.id,
      at: new Date(deps.clock.now()),
    });
    switch (result.kind) {
      case "erased":
        return reply.redirect("/console/customers?erased=1", 303);
      case "not_found":
        return sendProblem(reply, { kind: "not_found" });
      case "merged":
        return reply.redirect(`/console/customers/${result.survivorId}/erase`, 303);
      case "not_confirmed":
        return showErase(
          reply,
          deps,
          request.params.id,
          t(request.consoleView.locale, "customers.eraseMismatch"),
        );
    }
  });
}

async function showMerge(
  reply: FastifyReply,
  deps: ConsoleDeps,
  id: string,
  other: string,
  query: string,
  status = 200,
): Promise<FastifyReply> {
  if (!isUuid(id)) return sendProblem(reply, { kind: "not_found" });
  const customer = await deps.db.customer.findFirst({
    where: { id: id.toLowerCase(), mergedIntoId: null },
    select: { id: true, name: true, email: true },
  });
  if (!customer) return sendProblem(reply, { kind: "not_found" });
  const locale = reply.request.consoleView.locale;
  const plan = other ? await planMerge(deps.db, customer.id, other) : undefined;
  const candidates = query
    ? (await searchCustomers(deps.db, { query, limit: 10 })).rows.filter((row) => row.id !== customer.id)
    : undefined;
  const problem =
    status === 503
      ? t(locale, "customers.mergeUnavailable")
      : plan?.kind === "not_found"
        ? t(locale, "customers.mergeOtherMissing")
        : plan?.kind === "same"
          ? t(locale, "customers.mergeSame")
          : undefined;
  return render(
    reply,
    "customers/merge",
    {
      customer,
      plan: plan?.kind === "ready" ? plan : undefined,
      query,
      candidates,
      problem,
      available: Boolean(deps.mergeCustomers),
    },
    { status: status === 200 && problem ? 400 : status, title: "customers.mergeTitle" },
  );
}

async function showErase(
  reply: FastifyReply,
  deps: ConsoleDeps,
  id: string,
  error?: string,
): Promise<FastifyReply> {
  if (!isUuid(id)) return sendProblem(reply, { kind: "not_found" });
  const customer = await deps.db.customer.findUnique({
    where: { id: id.toLowerCase() },
    select: { id: true, name: true, email: true, mergedIntoId: true },
  });
  if (!customer) return sendProblem(reply, { kind: "not_found" });
  if (customer.mergedIntoId) return reply.redirect(`/console/customers/${customer.mergedIntoId}/erase`, 302);
  return render(
    reply,
    "customers/erase",
    { customer, error },
    { status: error ? 400 : 200, title: "customers.eraseTitle" },
  );
}
