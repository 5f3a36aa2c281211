import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { requireRole } from "../auth/guard.ts";
import { StaffConsentForm, staffSetConsent } from "../customers/consent.ts";
import { exportCustomer } from "../customers/export.ts";
import { customerLoyalty } from "../customers/loyalty.ts";
import { registerCustomerLoyalty } from "../customers/loyalty-route.ts";
import { customerProfile } from "../customers/profile.ts";
import { customerRfmSection } from "../customers/rfm-section.ts";
import { searchCustomers } from "../customers/search.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { render } from "../views/render.ts";
import { registerCustomerActions } from "./customers-actions.ts";
import { registerCustomerEdits } from "./customers-edit.ts";

const ListQuery = z.object({
  q: z.string().max(200).optional().catch(undefined),
  tag: z.string().max(100).optional().catch(undefined),
  after: z.string().max(200).optional().catch(undefined),
  erased: z.string().optional().catch(undefined),
});

const ProfileQuery = z.object({
  merged: z.string().optional().catch(undefined),
  saved: z.string().optional().catch(undefined),
});

/** The list URL of a search (and tag), optionally from a cursor. */
export function customersUrl(query: string, after?: string, tag?: string): string {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  if (tag) params.set("tag", tag);
  if (after) params.set("after", after);
  const search = params.toString();
  return `/console/customers${search ? `?${search}` : ""}`;
}

/**
 * The customers pages, for admins and agents: `GET /console/customers` (search by name, email, phone,
 * handle or channel id, `tag=` for one tag; newest first; keyset pages), `GET /console/customers/:id` (the profile) and
 * `POST /console/customers/:id/export` (everything about the customer as a JSON download, audited as
 * `customer.export`) and `POST /console/customers/:id/consent` (a consent answer the customer gave to staff,
 * with a reason, audited as `customer.consent`). Merging and erasing are admin-only, in customers-actions.ts.
 */
export function registerCustomers(scope: FastifyInstance, deps: ConsoleDeps): void {
  const staffOnly = { preHandler: requireRole("admin", "agent") };

  scope.get("/customers", staffOnly, async (request, reply) => {
    const query = ListQuery.parse(request.query ?? {});
    const page = await searchCustomers(deps.db, { query: query.q, tag: query.tag, after: query.after });
    const locale = request.consoleView.locale;
    return render(
      reply,
      "customers/index",
      {
        page,
        nextHref: page.next ? customersUrl(page.query, page.next, page.tag) : undefined,
        firstHref: query.after ? customersUrl(page.query, undefined, page.tag) : undefined,
        clearTagHref: page.tag ? customersUrl(page.query) : undefined,
        notice: query.erased === "1" ? t(locale, "customers.erased") : undefined,
      },
      { title: "customers.title" },
    );
  });

  scope.get<{ Params: { id: string } }>("/customers/:id", staffOnly, async (request, reply) => {
    const { merged, saved } = ProfileQuery.parse(request.query ?? {});
    const locale = request.consoleView.locale;
    const notice =
      merged === "1"
        ? t(locale, "customers.mergedNotice")
        : saved === "1"
          ? t(locale, "customers.editSaved")
          : saved === "0"
            ? t(locale, "customers.editUnchanged")
            : undefined;
    return showProfile(request, reply, deps, { notice });
  });

  scope.post<{ Params: { id: string } }>("/customers/:id/export", staffOnly, async (request, reply) => {
    const at = new Date(deps.clock.now());
    const data = await exportCustomer(deps.db, request.params.id, { staffUserId: request.staff!.id, at });
    if (!data) return sendProblem(reply, { kind: "not_found" });
    const day = at.toISOString().slice(0, 10);
    return reply
      .header("content-type", "application/json; charset=utf-8")
      .header("content-disposition", `attachment; filename="customer-${data.customer.id}-${day}.json"`)
      .header("cache-control", "no-store")
      .send(JSON.stringify(data, null, 2));
  });

  scope.post<{ Params: { id: string } }>("/customers/:id/consent", staffOnly, async (request, reply) => {
    const form = StaffConsentForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    const at = new Date(deps.clock.now());
    const result = await staffSetConsent(deps.db, request.params.id, form.data, {
      staffUserId: request.staff!.id,
      at,
    });
    if (result === "not_found") return sendProblem(reply, { kind: "not_found" });
    return reply.redirect(`/console/customers/${request.params.id.toLowerCase()}`, 303);
  });

  registerCustomerActions(scope, deps);
  registerCustomerEdits(scope, deps);
  registerCustomerLoyalty(scope, deps);
}

/**
 * The profile page of a live customer (a merged-away id redirects to the survivor), with an optional notice,
 * or a tag form's error answered with `status` (400).
 */
export async function showProfile(
  request: FastifyRequest<{ Params: { id: string } }>,
  reply: FastifyReply,
  deps: ConsoleDeps,
  extra: { notice?: string; tagError?: string; tagsTyped?: string; status?: number } = {},
): Promise<FastifyReply> {
  const result = await customerProfile(deps.db, request.params.id);
  if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
  if (result.kind === "merged") return reply.redirect(`/console/customers/${result.survivorId}`, 302);
  const staff = request.staff!;
  return render(
    reply,
    "customers/show",
    {
      profile: result.profile,
      loyalty: await customerLoyalty(deps.db, result.profile.customer.id, request.query),
      rfm: await customerRfmSection(deps.db, result.profile.customer.id, new Date(deps.clock.now())),
      isAdmin: staff.role === "admin",
      canMerge: staff.role === "admin" && Boolean(deps.mergeCustomers),
      notice: extra.notice,
      tagError: extra.tagError,
      tagsTyped: extra.tagsTyped,
    },
    { title: "customers.profileTitle", status: extra.status },
  );
}
