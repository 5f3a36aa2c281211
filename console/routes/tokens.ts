import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import {
  API_SCOPES,
  type ApiScope,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  unknownScopes,
} from "../../lib/api-tokens.ts";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { sendProblem } from "../problems.ts";
import { repeatedFormField } from "../request.ts";
import { render } from "../views/render.ts";
import { splitList } from "../webhooks.ts";

const ADMINS = { preHandler: requireRole("admin") };
/** The longest token name. */
const NAME_MAX = 100;

/** A list field as forms send it: one value, or several for repeated checkboxes. */
export const ListField = z
  .union([z.string().max(10_000), z.array(z.string().max(1_000)).max(100)])
  .optional();

const CreateForm = z.object({ name: z.string().max(10_000).default(""), scopes: ListField });

/** The create form's values and what is wrong with them, to show it again. */
interface FormState {
  values: { name: string; scopes: readonly string[] };
  errors?: { name?: string; scopes?: string };
}

/**
 * `GET /console/tokens` lists the API tokens (prefix, scopes, who made it, last use, revoked) with the form
 * that creates one; `POST /console/tokens` creates it (lib/api-tokens.ts, as `rapport tokens create` does)
 * and answers a page showing the whole token this once — never in a URL or a log; `POST
 * /console/tokens/:id/revoke` revokes one at once. Every action audited. Admins only.
 */
export function registerTokens(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get<{ Querystring: { done?: string } }>("/tokens", ADMINS, async (request, reply) => {
    const notice =
      request.query.done === "revoked" ? t(request.consoleView.locale, "tokens.revoked") : undefined;
    return show(reply, { values: { name: "", scopes: [] } }, { notice });
  });

  scope.post("/tokens", ADMINS, async (request, reply) => {
    const parsed = CreateForm.safeParse(request.body ?? {});
    if (!parsed.success) return sendProblem(reply, { kind: "bad_request" });
    const { locale } = request.consoleView;
    const name = parsed.data.name.trim();
    const scopes = splitList(repeatedFormField(request, "scopes") ?? parsed.data.scopes);
    const values = { name: parsed.data.name, scopes };
    const errors: FormState["errors"] = {};
    if (name.length === 0 || name.length > NAME_MAX)
      errors.name = t(locale, "tokens.errorName", { max: NAME_MAX });
    if (scopes.length === 0 || unknownScopes(scopes).length > 0)
      errors.scopes = t(locale, "tokens.errorScopes");
    if (errors.name || errors.scopes) return show(reply, { values, errors }, { status: 400 });
    const staff = request.staff!;
    const created = await createApiToken(deps.db, {
      name,
      scopes: scopes as ApiScope[],
      createdBy: staff.email,
      staffUserId: staff.id,
      at: new Date(deps.clock.now()),
    });
    // the token is in this answer's body only (no redirect, no log); render() sends it with no-store
    return render(
      reply,
      "tokens-created",
      { name, scopes: scopes.join(", "), token: created.token },
      { status: 201, title: "tokens.createdTitle" },
    );
  });

  scope.post<{ Params: { id: string } }>("/tokens/:id/revoke", ADMINS, async (request, reply) => {
    const id = z.uuid().safeParse(request.params.id);
    if (!id.success) return sendProblem(reply, { kind: "not_found" });
    const staff = request.staff!;
    const revoked = await revokeApiToken(deps.db, id.data, staff.email, new Date(deps.clock.now()), staff.id);
    if (!revoked) {
      const alert = t(request.consoleView.locale, "tokens.notLive");
      return show(reply, { values: { name: "", scopes: [] } }, { alert, status: 404 });
    }
    return reply.redirect("/console/tokens?done=revoked", 303);
  });

  async function show(
    reply: FastifyReply,
    form: FormState,
    options: { notice?: string; alert?: string; status?: number } = {},
  ): Promise<FastifyReply> {
    const tokens = await listApiTokens(deps.db);
    return render(
      reply,
      "tokens",
      {
        tokens,
        form,
        scopeOptions: API_SCOPES.map((scope) => ({
          scope,
          label: `tokens.scope.${scope}`,
          checked: form.values.scopes.includes(scope),
        })),
        nameMax: NAME_MAX,
        notice: options.notice,
        alert: options.alert,
      },
      { status: options.status, title: "tokens.title" },
    );
  }
}
