import type { FastifyReply, FastifyRequest } from "fastify";
import type { ConsoleDeps } from "../deps.ts";
import { recordAudit } from "./audit.ts";
import { createSession } from "./sessions.ts";

/**
 * Signs a staff member in on this browser: a new session (its cookie on `reply`), `lastLoginAt`, and the
 * `staff.login` audit row with the client's address and `data` (how they signed in).
 */
export async function startSignedIn(
  deps: Pick<ConsoleDeps, "db" | "clock" | "publicUrl">,
  request: FastifyRequest,
  reply: FastifyReply,
  staffUserId: string,
  data: Record<string, string> = {},
): Promise<void> {
  const now = new Date(deps.clock.now());
  await createSession(deps.db, deps.clock, staffUserId, request, reply, deps.publicUrl);
  await deps.db.staffUser.update({ where: { id: staffUserId }, data: { lastLoginAt: now } });
  await recordAudit(deps.db, {
    staffUserId,
    action: "staff.login",
    targetType: "StaffUser",
    targetId: staffUserId,
    data: { ip: request.ip, ...data },
    at: now,
  });
}
