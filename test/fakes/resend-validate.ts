/** An error exactly as Resend's API answers it: `{ statusCode, name, message }`. */
export class ResendApiError extends Error {
  constructor(
    readonly statusCode: number,
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }

  /** The response body, as Resend sends it. */
  toBody(): { statusCode: number; name: string; message: string } {
    return { statusCode: this.statusCode, name: this.name, message: this.message };
  }
}

/** One email as the API receives it (snake_case, as on the wire). */
export interface EmailPayload {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  reply_to: string[];
  subject: string;
  html?: string;
  text?: string;
  headers: Record<string, string>;
  tags: { name: string; value: string }[];
  scheduled_at?: string;
}

/** Most recipients one email may have across `to`. */
export const MAX_RECIPIENTS = 50;
/** Most emails one `POST /emails/batch` may carry. */
export const MAX_BATCH = 100;

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;

const missing = (field: string) =>
  new ResendApiError(422, "missing_required_field", `Missing \`${field}\` field.`);
const invalid = (field: string, why: string) =>
  new ResendApiError(422, "validation_error", `Invalid \`${field}\` field. ${why}`);

/** True for `email@example.com` and `Name <email@example.com>`. */
export function isAddress(value: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value.trim());
  return ADDRESS.test(named?.[1] ?? value.trim());
}

function addresses(body: Record<string, unknown>, field: string, required: boolean): string[] {
  const value = body[field];
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) {
    if (required) throw missing(field);
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.some((a) => typeof a !== "string" || !isAddress(a))) {
    throw invalid(
      field,
      "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
    );
  }
  if (list.length > MAX_RECIPIENTS)
    throw invalid(field, `The maximum number of recipients is ${MAX_RECIPIENTS}.`);
  return list as string[];
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(field, "It must be a string.");
  return value;
}

/** Validates one email like Resend does, naming the offending field; returns it normalised. */
export function validateEmail(input: unknown): EmailPayload {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ResendApiError(422, "validation_error", "The request body must be a JSON object.");
  }
  const body = input as Record<string, unknown>;
  const from = optionalString(body, "from");
  if (from === undefined || from === "") throw missing("from");
  if (!isAddress(from)) {
    throw invalid(
      "from",
      "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
    );
  }
  const to = addresses(body, "to", true);
  const subject = optionalString(body, "subject");
  if (subject === undefined || subject === "") throw missing("subject");
  const html = optionalString(body, "html");
  const text = optionalString(body, "text");
  if (html === undefined && text === undefined && body.template === undefined)
    throw missing("html` or `text");
  const headers = body.headers ?? {};
  if (
    typeof headers !== "object" ||
    headers === null ||
    Object.values(headers).some((v) => typeof v !== "string")
  ) {
    throw invalid("headers", "Header values must be strings.");
  }
  const tags = body.tags ?? [];
  if (!Array.isArray(tags) || tags.some((t) => !TAG_PART.test(t?.name) || !TAG_PART.test(t?.value))) {
    throw invalid(
      "tags",
      "Tag names and values can only contain ASCII letters, numbers, underscores or dashes.",
    );
  }
  const email: EmailPayload = {
    from,
    to,
    cc: addresses(body, "cc", false),
    bcc: addresses(body, "bcc", false),
    reply_to: addresses(body, "reply_to", false),
    subject,
    headers: headers as Record<string, string>,
    tags: (tags as { name: string; value: string }[]).map(({ name, value }) => ({ name, value })),
  };
  if (html !== undefined) email.html = html;
  if (text !== undefined) email.text = text;
  const scheduledAt = optionalString(body, "scheduled_at");
  if (scheduledAt !== undefined) email.scheduled_at = scheduledAt;
  return email;
}

/** Validates a batch body: an array of 1 to 100 emails, each valid. */
export function validateBatch(input: unknown): unknown[] {
  if (!Array.isArray(input) || input.length === 0) {
    throw new ResendApiError(
      422,
      "validation_error",
      "The request body must be an array of 1 to 100 emails.",
    );
  }
  if (input.length > MAX_BATCH) {
    throw new ResendApiError(
      422,
      "validation_error",
      `Too many emails in batch. The maximum is ${MAX_BATCH}.`,
    );
  }
  return input;
}
