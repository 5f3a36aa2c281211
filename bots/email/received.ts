import { Resend } from "resend";
import { z } from "zod";

/** Attachment metadata as Resend lists it for a received email (no content: that is another call). */
const ReceivedAttachment = z.looseObject({
  id: z.string(),
  filename: z.string().nullish(),
  content_type: z.string().nullish(),
  content_disposition: z.string().nullish(),
  content_id: z.string().nullish(),
  size: z.number().nullish(),
});

/**
 * The `data` of Resend's `email.received` webhook (resend.com/docs/webhooks/emails/received): metadata only,
 * never the body or headers. `from` is the bare address; `message_id` the RFC Message-ID header.
 */
export const ReceivedEmailEventData = z.looseObject({
  email_id: z.string().min(1),
  created_at: z.string().optional(),
  from: z.string().min(3).includes("@", { error: "expected an email address" }),
  to: z.array(z.string()),
  cc: z.array(z.string()).nullish(),
  bcc: z.array(z.string()).nullish(),
  received_for: z.array(z.string()).nullish(),
  message_id: z.string().nullish(),
  subject: z.string().nullish(),
  attachments: z.array(ReceivedAttachment).nullish(),
});
export type ReceivedEmailEventData = z.infer<typeof ReceivedEmailEventData>;

/**
 * A received email as `GET /emails/receiving/{id}` returns it (resend.com/docs/api-reference/emails/
 * retrieve-received-email): the text and HTML bodies, the headers (names lower-cased, e.g. `in-reply-to`,
 * `references`, `from` with the display name) and attachment metadata.
 */
export const ReceivedEmail = z.looseObject({
  object: z.literal("email").optional(),
  id: z.string().min(1),
  from: z.string(),
  to: z.array(z.string()).nullish(),
  cc: z.array(z.string()).nullish(),
  reply_to: z.array(z.string()).nullish(),
  created_at: z.string().nullish(),
  subject: z.string().nullish(),
  text: z.string().nullish(),
  html: z.string().nullish(),
  headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).nullish(),
  message_id: z.string().nullish(),
  attachments: z.array(ReceivedAttachment).nullish(),
});
export type ReceivedEmail = z.infer<typeof ReceivedEmail>;

/** What asking Resend for a received email gave: the email, or why not (Resend's status, 0 when unreachable). */
export type FetchedEmail =
  | { ok: true; email: ReceivedEmail }
  | { ok: false; status: number; message: string };

/** Reads a received email's body and headers from Resend. */
export type ReceivedEmailFetcher = (emailId: string) => Promise<FetchedEmail>;

/** Options of {@link createReceivedEmailFetcher}. */
export interface ReceivedEmailFetcherOptions {
  /** RESEND_API_KEY (sent as `Authorization: Bearer …`). */
  apiKey: string;
  /** RESEND_BASE_URL. Defaults to Resend's. */
  baseUrl?: string;
}

/**
 * Fetches received emails through the Resend SDK (`resend.emails.receiving.get`), asking for inline images as
 * `cid:` references rather than data URIs, so the stored HTML stays small. The SDK answers `{ error }`
 * rather than throwing: a refusal, an unreachable API or a body that is not a received email all come back
 * as `{ ok: false }` with Resend's status and a message naming the problem.
 */
export function createReceivedEmailFetcher(options: ReceivedEmailFetcherOptions): ReceivedEmailFetcher {
  const resend = new Resend(options.apiKey, options.baseUrl ? { baseUrl: options.baseUrl } : undefined);
  return async (emailId) => {
    let answer: Awaited<ReturnType<typeof resend.emails.receiving.get>>;
    try {
      answer = await resend.emails.receiving.get(emailId, { html_format: "cid" });
    } catch (error) {
      return { ok: false, status: 0, message: error instanceof Error ? error.message : String(error) };
    }
    if (answer.error) {
      const status = answer.error.statusCode ?? 0;
      const hint =
        status === 401 || status === 403
          ? ": RESEND_API_KEY was refused; give it full access (receiving emails needs more than sending)"
          : "";
      return { ok: false, status, message: `${answer.error.name}: ${answer.error.message}${hint}` };
    }
    const parsed = ReceivedEmail.safeParse(answer.data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = (issue?.path ?? []).map(String).join(".") || "(body)";
      return { ok: false, status: 502, message: `Resend's received email ${path}: ${issue?.message}` };
    }
    return { ok: true, email: parsed.data };
  };
}

/** A header of a received email by name, whatever its case; the first value of a repeated header. */
export function headerOf(email: ReceivedEmail, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(email.headers ?? {})) {
    if (key.toLowerCase() !== wanted) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}
