import type { IncomingMessage } from "node:http";
import { parseJson, readText } from "./http.ts";

/** A Bot API failure: `{"ok":false,"error_code":status,"description":…,"parameters"?:…}`. */
export class TelegramApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = "TelegramApiError";
  }

  /** The response body exactly as the Bot API sends it. */
  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      ok: false,
      error_code: this.status,
      description: this.description,
    };
    if (this.parameters !== undefined) body.parameters = this.parameters;
    return body;
  }
}

/** `400 Bad Request: <reason>`. */
export const badRequest = (reason: string) => new TelegramApiError(400, `Bad Request: ${reason}`);

/** Method parameters, from the query string and a JSON or form-urlencoded body (the body wins). */
export type Params = Record<string, unknown>;

/** Reads a Bot API call's parameters the ways Telegram accepts them, except file uploads. */
export async function readParams(req: IncomingMessage): Promise<Params> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const params: Params = Object.fromEntries(url.searchParams);
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type === "multipart/form-data") {
    throw badRequest("multipart/form-data (file uploads) is not supported by the fake Telegram server");
  }
  const text = await readText(req);
  if (text === "") return params;
  if (type === "application/x-www-form-urlencoded") {
    return { ...params, ...Object.fromEntries(new URLSearchParams(text)) };
  }
  const body = parseJson(text);
  if (!body.ok || typeof body.value !== "object" || body.value === null || Array.isArray(body.value)) {
    throw badRequest("can't parse JSON object");
  }
  return { ...params, ...(body.value as Params) };
}

/** A `chat_id`: an integer (also sent as a numeric string) or a public "@username". */
export function chatIdParam(value: unknown): number | string | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value !== "string" || value === "") return undefined;
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** An integer, also when a form or query string sent it as text. */
export function intParam(value: unknown): number | undefined {
  const n = typeof value === "string" && value !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) ? n : undefined;
}

/** A string, or `undefined` for anything else. */
export function stringParam(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A boolean, also "true"/"false" from a form. */
export function boolParam(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true") return true;
  if (value === "false") return false;
  return undefined;
}

/** An object or array; forms send these JSON-serialized, as the Bot API documents. */
export function jsonParam<T>(value: unknown, name: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") return value as T;
  const parsed = parseJson(value);
  if (!parsed.ok) throw badRequest(`can't parse ${name} JSON object`);
  return parsed.value as T;
}
