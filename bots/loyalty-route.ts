import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { cleanText } from "../lib/clean-text.ts";
import type { Clock } from "../lib/clock.ts";
import type { Db } from "../lib/db/index.ts";
import { bodyIssues, jsonOnly, sendInvalidBody } from "../lib/http.ts";
import { describeRoute } from "../lib/openapi.ts";
import { verifyBodySignature } from "../lib/signature.ts";
import { redeemPoints } from "./loyalty-ledger.ts";
import { SIGNATURE_HEADER } from "./shop/route.ts";

/** Dependencies of the loyalty API. */
export interface LoyaltyApiOptions {
  db: Db;
  /** HMAC key of `X-Rapport-Signature`: the events API's (RAPPORT_WEBHOOK_SECRET). */
  secret: string;
  clock: Clock;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The body of `POST /api/loyalty/redeem`. */
export const RedeemBody = z.strictObject({
  customer: z
    .strictObject({
      email: z.email("expected an email address").max(320).optional(),
      id: z.string().regex(UUID, "expected a customer id (UUID)").optional(),
    })
    .refine((c) => (c.email === undefined) !== (c.id === undefined), "expected exactly one of email or id"),
  points: z.number().int("expected a whole number of points").min(1).max(1_000_000_000),
  /** The shop's order reference or idempotency key: the same ref twice redeems once. */
  ref: z.string().overwrite(cleanText).trim().min(1).max(200),
  note: z.string().overwrite(cleanText).max(500).optional(),
});

/** The answer to a redemption (documentation: the handler builds it below). */
const Redeemed = z.object({
  id: z.string(),
  customerId: z.string(),
  balance: z.number().int(),
  duplicate: z.boolean(),
});

const REDEEM_DOC = describeRoute({
  summary: "Spend a customer's loyalty points",
  description:
    "The shop spends points at checkout. `ref` (the order reference) makes it idempotent: the same ref again " +
    "answers 200 with `duplicate: true` and spends nothing more.",
  tags: ["Loyalty"],
  auth: { signature: "rapportSignature" },
  body: { RedeemBody },
  responses: {
    200: { description: "Redeemed (or the same ref redeemed before)", body: { Redeemed } },
    400: "The body breaks a rule: `issues[].path` names the field; nothing spent",
    401: "Wrong or missing X-Rapport-Signature; nothing spent",
    404: "No customer with this email or id",
    409: "`ref` was used to redeem another customer's points",
    415: "The Content-Type is not application/json",
    422: "The customer has fewer points than asked (`balance` says how many)",
  },
});

/**
 * `POST /api/loyalty/redeem`: the shop spends a customer's points at checkout. Signed like `/api/events`
 * (401 otherwise); a malformed body is 400 naming the field; an unknown customer 404; too few points 422 with
 * the balance; a `ref` another customer used 409. The same `ref` again answers 200 with `duplicate: true` and
 * spends nothing more.
 */
export async function registerLoyaltyApi(app: FastifyInstance, options: LoyaltyApiOptions): Promise<void> {
  app.post("/api/loyalty/redeem", { onRequest: jsonOnly, config: REDEEM_DOC }, async (request, reply) => {
    const signature = String(request.headers[SIGNATURE_HEADER] ?? "");
    if (!request.rawBody || !verifyBodySignature(options.secret, request.rawBody, signature)) {
      return reply.status(401).send({
        error: "invalid_signature",
        message:
          "X-Rapport-Signature must be sha256=<hex HMAC-SHA256 of the raw body, keyed with RAPPORT_WEBHOOK_SECRET>",
      });
    }
    const parsed = RedeemBody.safeParse(request.body);
    if (!parsed.success) {
      return sendInvalidBody(reply, bodyIssues(parsed.error));
    }
    const body = parsed.data;
    const customer = await options.db.customer.findFirst({
      where: body.customer.id
        ? { id: body.customer.id.toLowerCase(), mergedIntoId: null }
        : { email: body.customer.email!.trim().toLowerCase(), mergedIntoId: null },
      select: { id: true },
    });
    if (!customer) {
      return reply
        .status(404)
        .send({ error: "unknown_customer", message: "customer: no customer with this email or id" });
    }
    const result = await redeemPoints(options.db, {
      customerId: customer.id,
      points: body.points,
      ref: body.ref,
      at: new Date(options.clock.now()),
      ...(body.note && { note: body.note }),
    });
    switch (result.kind) {
      case "redeemed":
      case "duplicate":
        return reply.status(200).send({
          id: result.entryId,
          customerId: customer.id,
          balance: result.balance,
          duplicate: result.kind === "duplicate",
        });
      case "insufficient":
        return reply.status(422).send({
          error: "insufficient_points",
          message: `points: the customer has ${result.balance} points, fewer than ${body.points}`,
          balance: result.balance,
        });
      case "ref_taken":
        return reply.status(409).send({
          error: "ref_taken",
          message: "ref: already used to redeem another customer's points; send a new ref for each order",
        });
      case "not_found":
        return reply
          .status(404)
          .send({ error: "unknown_customer", message: "customer: no customer with this email or id" });
    }
  });
}
