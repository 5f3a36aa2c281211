import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { LOCALES } from "../../lib/channels.ts";
import { safeNext } from "../auth/next.ts";
import type { ConsoleDeps } from "../deps.ts";
import { sendProblem } from "../problems.ts";
import { setStaffLocale } from "../staff.ts";

const LocaleForm = z.object({ locale: z.enum(LOCALES), next: z.string().optional() });

/** `POST /console/me/locale`: the signed-in staff member's language (the header's switcher), then back. */
export function registerMe(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.post("/me/locale", async (request, reply) => {
    const staff = request.staff!;
    const form = LocaleForm.safeParse(request.body ?? {});
    if (!form.success) return sendProblem(reply, { kind: "bad_request" });
    if (form.data.locale !== staff.locale) {
      await setStaffLocale(deps, staff.id, form.data.locale, staff.locale);
    }
    return reply.redirect(safeNext(form.data.next), 303);
  });
}
