import type { FastifyReply } from "fastify";
import { z } from "zod";

const VisitorId = z.uuid({ message: "expected the visitor id from POST /webchat/api/session" });
const Token = z.string().min(1).max(128);

/** `POST /webchat/api/session`: empty for a new visitor, or the stored pair to resume one. */
export const SessionBody = z
  .object({
    visitorId: VisitorId.optional(),
    token: Token.optional(),
    /** The page's or browser's language tag, kept on the new customer. */
    locale: z.string().max(35).optional(),
    /** The browser's IANA time zone (`Intl`), kept on the new customer when the runtime knows it. */
    timezone: z.string().max(64).optional(),
    /** The page the chat was opened on (its `utm_*` tags name the source) and the page before it. */
    page: z.string().max(2_000).optional(),
    referrer: z.string().max(2_000).optional(),
  })
  .refine((body) => (body.visitorId === undefined) === (body.token === undefined), {
    message: "visitorId and token go together",
    path: ["token"],
  });

/** `POST /webchat/api/messages`. */
export const MessageBody = z.object({
  visitorId: VisitorId,
  token: Token,
  /** The widget's id for the message (a uuid): a retried POST with the same id is stored once. */
  clientMessageId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1–64 letters, digits, _ or -"),
  text: z.string().trim().min(1, "expected a non-empty message").max(4_000),
  locale: z.string().max(35).optional(),
});
export type MessageBody = z.infer<typeof MessageBody>;

/** `POST /webchat/api/identify`. */
export const IdentifyBody = z.object({
  visitorId: VisitorId,
  token: Token,
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ message: "expected an email address" })),
});

/** `POST /webchat/api/subscribe`: the "Get offers by email" box; a confirm link goes to the address. */
export const SubscribeBody = IdentifyBody;

/** `POST /webchat/api/verify`: the code emailed after identify. */
export const VerifyBody = z.object({
  visitorId: VisitorId,
  token: Token,
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, "expected the 6-digit code from the email"),
});

/** The query of `GET /webchat/api/events` and `GET /webchat/api/history`. */
export const VisitorQuery = z.object({
  visitorId: VisitorId,
  token: Token,
  /** For EventSource polyfills that cannot send the `Last-Event-ID` header. */
  lastEventId: z.string().max(128).optional(),
});

/** Answers a body or query that failed its schema with 400, naming each field. */
export function sendInvalid(reply: FastifyReply, error: z.ZodError, where: "body" | "query"): FastifyReply {
  const issues = error.issues.map((i) => ({ path: i.path.join(".") || `(${where})`, message: i.message }));
  return reply.status(400).send({
    error: `invalid_${where}`,
    message: issues.map((i) => `${i.path}: ${i.message}`).join("; "),
    issues,
  });
}
