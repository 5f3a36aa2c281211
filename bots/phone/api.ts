import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { requireScope } from "../../lib/api-tokens.ts";
import { cleanText } from "../../lib/clean-text.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Db } from "../../lib/db/index.ts";
import { bodyIssues, jsonOnly, sendInvalidBody } from "../../lib/http.ts";
import { describeRoute } from "../../lib/openapi.ts";
import { CALL_STATES, type CallReport, type RecordedCall, recordCall, toE164 } from "./calls.ts";

const PHONE = "expected a phone number in E.164, like +48601234567";

/** The body of `POST /api/calls`: one report of a call from any phone system (PBX, call centre, softphone). */
export const CallBody = z.strictObject({
  /** The caller's number, E.164. */
  from: z
    .string()
    .max(64, { error: PHONE })
    .refine((v) => toE164(v) !== undefined, { error: PHONE }),
  /** The brand's number that was called. */
  to: z.string().overwrite(cleanText).trim().min(1).max(64),
  /** The phone system's own id of the call: every report of one call names the same id. */
  callId: z.string().overwrite(cleanText).trim().min(1).max(200),
  state: z.enum(CALL_STATES, { error: `expected one of ${CALL_STATES.join(", ")}` }),
  /** The staff member (console id or email) the call rings for; their console alone pops it. */
  agent: z.string().overwrite(cleanText).trim().min(1).max(320).optional(),
  /** How long the call lasted, when it ended. */
  durationSeconds: z
    .number()
    .int({ error: "expected a whole number of seconds" })
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
});
export type CallBody = z.infer<typeof CallBody>;

/** The answer to `POST /api/calls`. */
export const CallRecorded = z.object({
  id: z.string(),
  customerId: z.string(),
  conversationId: z.string(),
  state: z.enum(CALL_STATES),
  durationSeconds: z.number().int().nullable(),
  newCustomer: z.boolean(),
  /** True when the report told nothing new (the same state again, or an earlier one after a later). */
  duplicate: z.boolean(),
});

const CALLS_DOC = describeRoute({
  summary: "Report a call from any phone system",
  description:
    "Each report of a call (by `callId`) updates one interaction on channel `phone` in the caller's history: its " +
    "state moves forward only (ringing → answered → ended or missed) and the same report twice changes nothing. " +
    "The caller is found by a proven phone (a customer's own, or an earlier call's); an unknown number becomes " +
    "a new customer. A ringing call pops the caller's panel in the console of `agent`, or of every agent.",
  tags: ["Calls"],
  auth: { token: "calls:write" },
  body: { CallBody },
  responses: {
    200: {
      description: "A later report of a known call (`duplicate` when it told nothing new)",
      body: { CallRecorded },
    },
    201: { description: "The first report of this call: stored", body: { CallRecorded } },
    400: "The body breaks a rule: `issues[].path` names the field; nothing stored",
    415: "The Content-Type is not application/json",
  },
});

/** Dependencies of the calls API. */
export interface CallsApiOptions {
  db: Db;
  clock: Clock;
  onCall?: (call: RecordedCall, report: CallReport) => void;
}

/**
 * `POST /api/calls` with a token holding `calls:write`: a call from any phone system, stored as the Twilio
 * webhook's are (bots/phone/calls.ts) and popped in the console. 201 for a new call, 200 for a later report
 * of it; 400 naming the field; 401/403 for the token.
 */
export function registerCallsApi(http: FastifyInstance, options: CallsApiOptions): void {
  http.post(
    "/api/calls",
    {
      onRequest: jsonOnly,
      config: CALLS_DOC,
      preHandler: requireScope(options.db, "calls:write", () => new Date(options.clock.now())),
    },
    async (request, reply) => {
      const parsed = CallBody.safeParse(request.body);
      if (!parsed.success) {
        return sendInvalidBody(reply, bodyIssues(parsed.error));
      }
      const body = parsed.data;
      const report: CallReport = {
        source: "api",
        callId: body.callId,
        customerNumber: toE164(body.from)!,
        brandNumber: body.to,
        direction: "inbound",
        state: body.state,
        ...(body.durationSeconds !== undefined && { durationSeconds: body.durationSeconds }),
        ...(body.agent !== undefined && { agent: body.agent }),
        at: new Date(options.clock.now()),
        raw: body,
      };
      const recorded = await recordCall(options.db, report);
      if (recorded.changed) options.onCall?.(recorded, report);
      return reply.status(recorded.created ? 201 : 200).send({
        id: recorded.interactionId,
        customerId: recorded.customerId,
        conversationId: recorded.conversationId,
        state: recorded.state,
        durationSeconds: recorded.durationSeconds,
        newCustomer: recorded.newCustomer,
        duplicate: !recorded.changed,
      } satisfies z.infer<typeof CallRecorded>);
    },
  );
}
