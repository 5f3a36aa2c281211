import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { LOCALES } from "../../lib/channels.ts";
import { StaffRole } from "../../lib/db/index.ts";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
import { t } from "../i18n.ts";
import { LOCALE_NAMES } from "../locale.ts";
import { sendProblem } from "../problems.ts";
import { createStaffUser, listStaffUsers, PASSWORD_MIN_LENGTH } from "../staff.ts";
import { render } from "../views/render.ts";

const AddForm = z.object({
  email: z.string().max(320).default(""),
  name: z.string().max(200).default(""),
  role: z.enum(StaffRole),
  locale: z.enum(LOCALES),
  password: z.string().max(4000).default(""),
});

/** The form's values and what is wrong with them, to show it again. */
interface FormState {
  values: { email: string; name: string; role: StaffRole; locale: string };
  errors?: { email?: string; password?: string; form?: string };
}

const BLANK: FormState = { values: { email: "", name: "", role: "agent", locale: "en" } };

/**
 * `GET /console/staff` lists the staff accounts; `POST /console/staff` adds one (through the same
 * `createStaffUser` as `rapport staff add`, audited as `staff.create`). Admins only.
 */
export function registerStaffPages(scope: FastifyInstance, deps: ConsoleDeps): void {
  const adminOnly = { preHandler: requireRole("admin") };

  scope.get<{ Querystring: { added?: string } }>("/staff", adminOnly, async (request, reply) => {
    const added = z.uuid().safeParse(request.query.added);
    const user = added.success
      ? await deps.db.staffUser.findUnique({ where: { id: added.data }, select: { email: true } })
      : null;
    const notice = user ? t(request.consoleView.locale, "staff.added", { email: user.email }) : undefined;
    return showStaff(reply, deps, BLANK, { notice });
  });

  scope.post("/staff", adminOnly, async (request, reply) => {
    const parsed = AddForm.safeParse(request.body ?? {});
    if (!parsed.success) return sendProblem(reply, { kind: "bad_request" });
    const form = parsed.data;
    const { locale } = request.consoleView;
    const values = { email: form.email, name: form.name, role: form.role, locale: form.locale };
    const result = await createStaffUser(deps, form, { type: "staff", staffUserId: request.staff!.id });
    switch (result.kind) {
      case "created":
        return reply.redirect(`/console/staff?added=${result.user.id}`, 303);
      case "exists":
        return showStaff(
          reply,
          deps,
          { values, errors: { email: t(locale, "staff.exists", { email: result.email }) } },
          {
            status: 409,
          },
        );
      case "bad_password":
        if (result.reason === "too_long") return sendProblem(reply, { kind: "bad_request" });
        return showStaff(
          reply,
          deps,
          { values, errors: { password: t(locale, "staff.passwordTooShort", { min: PASSWORD_MIN_LENGTH }) } },
          { status: 400 },
        );
      case "invalid":
        if (result.field !== "email") return sendProblem(reply, { kind: "bad_request" });
        return showStaff(
          reply,
          deps,
          { values, errors: { email: t(locale, "staff.invalidEmail") } },
          { status: 400 },
        );
    }
  });
}

async function showStaff(
  reply: FastifyReply,
  deps: ConsoleDeps,
  form: FormState,
  options: { status?: number; notice?: string } = {},
): Promise<FastifyReply> {
  const users = await listStaffUsers(deps.db);
  return render(
    reply,
    "staff",
    {
      users,
      form,
      notice: options.notice,
      roles: StaffRole,
      roleOptions: Object.values(StaffRole).map((role) => ({ role, selected: role === form.values.role })),
      localeOptions: LOCALES.map((code) => ({
        code,
        name: LOCALE_NAMES[code],
        selected: code === form.values.locale,
      })),
      minPassword: PASSWORD_MIN_LENGTH,
    },
    { status: options.status, title: "staff.title" },
  );
}
