import type { FastifyInstance } from "fastify";
import { BROWSER, type Browser } from "./support.ts";

/** One part of a multipart form: a field, or a file with its name. */
export type Part = { name: string; value: string } | { name: string; filename: string; content: Buffer };

/** A multipart/form-data body as a browser sends it, parts in order. */
export function multipartBody(parts: readonly Part[]): { body: Buffer; contentType: string } {
  const boundary = `----rapportTest${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head =
      "filename" in part
        ? `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`
        : `Content-Disposition: form-data; name="${part.name}"\r\n\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\n${head}`));
    chunks.push("filename" in part ? part.content : Buffer.from(part.value));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads a file to `/console/import` as the upload form does (`_csrf`, `kind`, then `file`). */
export function uploadImport(
  http: FastifyInstance,
  browser: Browser,
  file: { filename: string; content: Buffer },
  options: { kind?: string; csrf?: string | null } = {},
) {
  const parts: Part[] = [];
  const csrf = options.csrf === undefined ? browser.csrf : options.csrf;
  if (csrf !== null) parts.push({ name: "_csrf", value: csrf });
  parts.push({ name: "kind", value: options.kind ?? "customers" });
  parts.push({ name: "file", ...file });
  const { body, contentType } = multipartBody(parts);
  return http.inject({
    method: "POST",
    url: "/console/import",
    remoteAddress: browser.ip,
    headers: { ...BROWSER, cookie: browser.cookie, "content-type": contentType },
    payload: body,
  });
}

/** The events of a Server-Sent Events body, in order. */
export function sseEvents(body: string): { event: string; data: unknown }[] {
  return body
    .split("\n\n")
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event && data ? { event, data: JSON.parse(data) as unknown } : undefined;
    })
    .filter((e): e is { event: string; data: unknown } => e !== undefined);
}
