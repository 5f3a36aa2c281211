import type { FastifyInstance } from "fastify";
import { requireRole } from "../auth/guard.ts";
import type { ConsoleDeps } from "../deps.ts";
import { sendProblem } from "../problems.ts";
import { StaffLoyaltyForm, staffLoyaltyChange } from "./loyalty.ts";

/**
 * `POST /console/customers/:id/loyalty` (admins and agents, CSRF like every console form): redeems or adjusts
 * points with a reason, audited as `customer.loyalty`; back to the profile's loyalty section with the outcome
 * (`?loyalty=done|invalid|insufficient`), so a bad form loses nothing but the attempt.
 */
export function registerCustomerLoyalty(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.post<{ Params: { id: string } }>(
    "/customers/:id/loyalty",
    { preHandler: requireRole("admin", "agent") },
    async (request, reply) => {
      const back = (query: string) =>
        reply.redirect(`/console/customers/${request.params.id.toLowerCase()}?${query}#loyalty`, 303);
      const form = StaffLoyaltyForm.safeParse(request.body ?? {});
      if (!form.success) return back("loyalty=invalid");
      const result = await staffLoyaltyChange(deps.db, request.params.id, form.data, {
        staffUserId: request.staff!.id,
        at: new Date(deps.clock.now()),
      });
      if (result.kind === "not_found") return sendProblem(reply, { kind: "not_found" });
      if (result.kind === "insufficient") return back(`loyalty=insufficient&balance=${result.balance}`);
      return back("loyalty=done");
    },
  );
}
