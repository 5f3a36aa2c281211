import type { FastifyInstance } from "fastify";
import type { CallReport, RecordedCall, StoredCall } from "../bots/phone/calls.ts";
import type { Db } from "../lib/db/index.ts";
import type { Logger } from "../lib/logger.ts";
import { isUuid } from "./customers/ids.ts";
import type { ConsoleDeps } from "./deps.ts";
import { customerPanel } from "./inbox/panel.ts";
import type { LiveEvent, LiveHub } from "./live.ts";
import type { SignedInStaff } from "./request.ts";
import { render } from "./views/render.ts";

/**
 * The staff member a phone system names as the call's agent (a staff id or email), if one is active: the
 * console of that one pops the call; none named or none found, every agent's.
 */
export async function agentOf(db: Db, agent: string | null | undefined): Promise<string | undefined> {
  if (!agent) return undefined;
  const byId = isUuid(agent);
  const where = byId ? { id: agent.toLowerCase() } : { email: String(agent).trim().toLowerCase() };
  const staff = await db.staffUser.findFirst({ where: { ...where, disabledAt: null }, select: { id: true } });
  return staff?.id;
}

/**
 * What the console hears of a stored change of a call: a `message` event (the inbox row and the thread update
 * as for any message) and a `call` event (the screen pop), for the named agent or for every agent.
 */
export function onCallRecorded(deps: { db: Db; live: LiveHub; log: Logger }) {
  return (recorded: RecordedCall, report: CallReport): void => {
    void agentOf(deps.db, report.agent)
      .then((forStaffUserId) => {
        const base = { conversationId: recorded.conversationId, interactionId: recorded.interactionId };
        deps.live.publish({ ...base, kind: "message" });
        deps.live.publish({
          ...base,
          kind: "call",
          status: recorded.state,
          ...(forStaffUserId && { forStaffUserId }),
        });
      })
      .catch((error: unknown) => deps.log.warn({ err: error }, "call not popped in the console"));
  };
}

/** Whether a staff member's console hears this event: a call only in the console of its agent, or of every agent. */
export function hearsLive(staff: Pick<SignedInStaff, "id" | "role">, event: LiveEvent): boolean {
  if (event.kind !== "call") return true;
  if (event.forStaffUserId) return event.forStaffUserId === staff.id;
  return staff.role !== "marketer";
}

/** The model of the pop-over: the call, and the caller's panel (as the conversation page shows it). */
export async function callPopModel(
  deps: Pick<ConsoleDeps, "db" | "segmentsOf" | "clock">,
  interactionId: string,
) {
  if (!isUuid(interactionId)) return undefined;
  const interaction = await deps.db.interaction.findFirst({
    where: { id: interactionId.toLowerCase(), channel: "phone" },
    select: { id: true, customerId: true, conversationId: true, raw: true, sentAt: true },
  });
  // bots/phone/calls.ts writes it (console/ reads the row, it does not import bots/)
  const call = (interaction?.raw as Partial<StoredCall> | null)?.call;
  if (!interaction || !call) return undefined;
  const panel = await customerPanel(deps.db, interaction.customerId, { segmentsOf: deps.segmentsOf });
  if (!panel) return undefined;
  const duration =
    call.durationSeconds === null
      ? null
      : `${Math.floor(call.durationSeconds / 60)}:${String(call.durationSeconds % 60).padStart(2, "0")}`;
  // nothing known but the number an earlier call left: a new caller
  const known =
    panel.orders > 0 || Boolean(panel.customer.name || panel.customer.email || panel.customer.phone);
  return {
    call: { ...call, id: interaction.id, conversationId: interaction.conversationId, duration },
    known,
    panel: { ...panel, now: new Date(deps.clock.now()) },
    purchases: panel.purchases.slice(0, 3),
    suggestions: panel.suggestions.slice(0, 3),
    openConversations: panel.openConversations.slice(0, 10),
  };
}

/**
 * `GET /console/calls/:id/pop`: the screen pop of a call as an HTML fragment (console.js fetches it when a
 * call event arrives): who is calling, what they bought, what they may buy next, their open conversations,
 * links to the profile and to the call's conversation (where staff write notes on it). 404 for anything else.
 */
export function registerCallPop(scope: FastifyInstance, deps: ConsoleDeps): void {
  scope.get<{ Params: { id: string } }>("/calls/:id/pop", async (request, reply) => {
    const model = await callPopModel(deps, request.params.id);
    if (!model) return reply.status(404).type("text/plain; charset=utf-8").send("no such call");
    return render(reply, "calls/pop", model, { fragment: true });
  });
}
