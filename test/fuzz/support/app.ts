import { request as httpRequest } from "node:http";
import { afterAll, beforeAll } from "vitest";
import type { Db } from "../../../lib/db/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";

/** The tables a refused request must leave alone. */
export const GUARDED_TABLES = [
  "Customer",
  "Identity",
  "Event",
  "Purchase",
  "Interaction",
  "Conversation",
  "Delivery",
  "Suppression",
  "AuditLog",
  "CannedResponse",
  "ContactClaim",
  "ContactVerification",
  "ConsentEvent",
  "FirstTouch",
  "InboundFailure",
  "LinkCode",
  "LoyaltyEntry",
  "Session",
  "StaffUser",
  "SurveyAnswer",
] as const;

const COUNT_ROWS = `SELECT ${GUARDED_TABLES.map((t) => `(SELECT count(*) FROM "${t}")::int AS "${t}"`).join(", ")}`;

/** Row counts of {@link GUARDED_TABLES}, in one query. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const [row] = await db.$queryRawUnsafe<Record<string, number>[]>(COUNT_ROWS);
  return row!;
}

/**
 * The whole Rapport HTTP surface as `rapport start` builds it (events API, webhooks, web chat, unsubscribe,
 * console), on the file's own database and Redis prefix. Queue workers and chat bots stay off, so a row
 * count only changes through the request being checked. `env` adds secrets and fake platform addresses.
 */
export function useFuzzApp(env: () => Record<string, string> = () => ({})) {
  const database = useTestDatabase();
  const redis = useTestRedis();
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp({
      databaseUrl: database.url,
      redisUrl: redis.url,
      prefix: redis.prefix,
      env: { ...env(), TRUST_PROXY: "true" },
      workers: false,
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  return {
    get app(): TestApp {
      if (!app) throw new Error("the fuzz app exists only inside tests and hooks");
      return app;
    },
    get db(): Db {
      return database.db;
    },
    redis,
  };
}

/** One request, exactly as written: no content type is added when none is given. */
export interface RawRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string | undefined>;
  body?: Buffer;
}

/** The answer to a {@link RawRequest}. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * Sends one request over a new connection (a refused body may make the server close it). An event stream is
 * answered as soon as its headers arrive, and closed.
 */
export function send(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(request.path, baseUrl);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {}))
    if (value !== undefined) headers[name] = value;
  if (request.body) headers["content-length"] = String(request.body.length);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: request.method, headers, agent: false, timeout: 20_000 },
      (incoming) => {
        // a Server-Sent Events stream never ends: its status and headers are the answer
        if (String(incoming.headers["content-type"] ?? "").startsWith("text/event-stream")) {
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.alloc(0) });
          incoming.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks),
          }),
        );
        incoming.on("error", reject);
      },
    );
    outgoing.on("timeout", () =>
      outgoing.destroy(new Error(`${request.method} ${request.path}: no answer in 20 s`)),
    );
    outgoing.on("error", reject);
    outgoing.end(request.body);
  });
}

/** A random client address for X-Forwarded-For (the fuzz app trusts it), so rate limits do not stop the fuzzing. */
export function clientIp(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255 || 1}`;
}

/**
 * The rules every answer keeps: below 500; a 4xx says what was wrong — JSON `{error, message}`, where a field
 * that did not validate is named (`issues[].path` or `path`) — or, for a page meant for a browser, an HTML page.
 * @throws Error describing the broken rule.
 */
export function checkAnswer(response: RawResponse, options: { html?: boolean } = {}): void {
  const text = response.body.toString("utf8");
  if (response.status >= 500 || response.status < 200)
    throw new Error(`answered ${response.status}: ${text.slice(0, 300)}`);
  if (response.status < 400) return;
  const type = String(response.headers["content-type"] ?? "");
  if (options.html && type.startsWith("text/html")) {
    if (!text.includes("<html")) throw new Error(`answered ${response.status} with a page that is not HTML`);
    return;
  }
  if (!type.startsWith("application/json"))
    throw new Error(`answered ${response.status} as ${type || "no content type"}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { error?: unknown; message?: unknown; issues?: unknown; path?: unknown };
  if (typeof body.error !== "string" || body.error === "")
    throw new Error(`answered ${response.status} without an error code: ${text.slice(0, 200)}`);
  if (body.issues !== undefined) {
    const issues = body.issues as { path?: unknown; message?: unknown }[];
    if (!Array.isArray(issues) || issues.length === 0)
      throw new Error(`answered ${response.status} with empty issues: ${text.slice(0, 200)}`);
    for (const issue of issues)
      if (typeof issue.path !== "string" || typeof issue.message !== "string")
        throw new Error(`an issue without path or message: ${JSON.stringify(issue).slice(0, 200)}`);
  }
}

/** Whether an answer is a validation refusal that should name a field: `invalid_body` / `invalid_query` of JSON. */
export function namesField(response: RawResponse): boolean {
  const body = JSON.parse(response.body.toString("utf8")) as { issues?: { path: string }[]; path?: unknown };
  return (Array.isArray(body.issues) && body.issues.length > 0) || typeof body.path === "string";
}

/** How {@link sendChecked} judges an answer. */
export interface CheckOptions {
  /** A 4xx may be an HTML page (pages meant for a browser). */
  html?: boolean;
  /** Tables a refusal may still write: a signed shop body that is not an order is kept in InboundFailure. */
  keeps?: readonly (typeof GUARDED_TABLES)[number][];
}

/**
 * Sends a request and checks the house rules: {@link checkAnswer}, and when it is refused (4xx), that no
 * row of {@link GUARDED_TABLES} was written (but those `keeps` names). Returns the answer for further checks.
 */
export async function sendChecked(
  db: Db,
  baseUrl: string,
  request: RawRequest,
  options: CheckOptions = {},
): Promise<RawResponse> {
  const before = await rowCounts(db);
  const response = await send(baseUrl, request);
  checkAnswer(response, options);
  if (response.status >= 400) {
    const after = await rowCounts(db);
    const changed = GUARDED_TABLES.filter((t) => after[t] !== before[t] && !options.keeps?.includes(t)).map(
      (t) => `${t} ${before[t]} → ${after[t]}`,
    );
    if (changed.length)
      throw new Error(`refused with ${response.status} but wrote rows: ${changed.join(", ")}`);
  }
  return response;
}

/** Answers a health request: the process lived through the fuzzing. */
export async function assertAlive(baseUrl: string): Promise<void> {
  const response = await send(baseUrl, { method: "GET", path: "/healthz" });
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status} after the fuzzing`);
}
