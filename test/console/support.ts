import { randomInt } from "node:crypto";
import { Writable } from "node:stream";
import type { FastifyInstance, LightMyRequestResponse as InjectResponse } from "fastify";
import pino from "pino";
import { expect } from "vitest";
import { type ConsoleDeps, createStaffUser, registerConsole } from "../../console/index.ts";
import { type Clock, systemClock } from "../../lib/clock.ts";
import type { Db, StaffRole } from "../../lib/db/index.ts";
import { createHttpServer } from "../../lib/http.ts";
import { type Logger, silentLogger } from "../../lib/logger.ts";
import type { Redis } from "../../lib/redis.ts";

/** A password every test account uses. */
export const PASSWORD = "correct horse battery";

/** Options of {@link startConsole}. */
export interface ConsoleTestOptions {
  db: Db;
  redis?: Redis;
  redisPrefix?: string;
  clock?: Clock;
  publicUrl?: string;
  /** The first-start page's secret (`/console/setup?token=…`); unset: that page is closed. */
  setupToken?: string;
  /** Where the console and its HTTP server log. Defaults to nowhere. */
  log?: Logger;
  /** More dependencies (segments, audiences, …). */
  deps?: Partial<ConsoleDeps>;
}

/** The console on a fresh Fastify instance (as `rapport start` builds it), to `inject` requests into. */
export async function startConsole(
  options: ConsoleTestOptions,
): Promise<{ http: FastifyInstance; deps: ConsoleDeps }> {
  const deps: ConsoleDeps = {
    db: options.db,
    redis: options.redis,
    redisPrefix: options.redisPrefix,
    clock: options.clock ?? systemClock,
    log: options.log ?? silentLogger,
    publicUrl: options.publicUrl ?? "http://localhost:3000",
    brandName: "Toko Rapport",
    setupToken: options.setupToken,
    ...options.deps,
  };
  const http = createHttpServer({ log: options.log ?? silentLogger });
  await registerConsole(http, deps);
  await http.ready();
  return { http, deps };
}

/** A random client address, so each test has its own login rate-limit counters. */
export function randomIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

/** A unique address on example.com. */
export function uniqueEmail(name: string): string {
  return `${name}.${randomInt(1e9)}@example.com`;
}

/** Creates a staff account the way `rapport staff add` does. */
export async function addStaff(
  db: Db,
  email: string,
  role: StaffRole,
  extra: { locale?: "en" | "id" | "pl"; name?: string } = {},
): Promise<string> {
  const result = await createStaffUser(
    { db, clock: systemClock },
    { email, role, password: PASSWORD, ...extra },
    { type: "system" },
  );
  if (result.kind !== "created") throw new Error(`could not create ${email}: ${result.kind}`);
  return result.user.id;
}

/** Headers of a browser navigation. */
export const BROWSER = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

/** The value of a Set-Cookie a response sent, with its attributes. */
export function cookieOf(response: InjectResponse, name: string) {
  return response.cookies.find((c) => c.name === name);
}

/** The hidden `_csrf` field of a page. */
export function csrfField(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no _csrf field on the page");
  return match[1]!;
}

/** A browser's view of the console: its cookies and the page's CSRF token. */
export interface Browser {
  /** Cookie header to send. */
  cookie: string;
  /** The session's CSRF token (from `<meta name="csrf-token">`). */
  csrf: string;
  ip: string;
}

/** Opens the login page and posts the form, as a browser would. Returns the raw POST response. */
export async function postLogin(
  http: FastifyInstance,
  email: string,
  password: string,
  options: { ip?: string; next?: string; headers?: Record<string, string> } = {},
): Promise<InjectResponse> {
  const ip = options.ip ?? randomIp();
  const page = await http.inject({
    url: "/console/login",
    headers: { ...BROWSER, ...options.headers },
    remoteAddress: ip,
  });
  const loginCookie = cookieOf(page, "rapport_login_csrf")!;
  const form = new URLSearchParams({
    email,
    password,
    _csrf: csrfField(page.body),
    ...(options.next && { next: options.next }),
  });
  return http.inject({
    method: "POST",
    url: "/console/login",
    remoteAddress: ip,
    headers: {
      ...BROWSER,
      ...options.headers,
      "content-type": "application/x-www-form-urlencoded",
      cookie: `rapport_login_csrf=${loginCookie.value}`,
    },
    payload: form.toString(),
  });
}

/** Signs in and returns the browser state of the new session. */
export async function signIn(http: FastifyInstance, email: string, password = PASSWORD): Promise<Browser> {
  const ip = randomIp();
  const response = await postLogin(http, email, password, { ip });
  expect(response.statusCode, response.body).toBe(303);
  const session = cookieOf(response, "rapport_session")!;
  const cookie = `rapport_session=${session.value}`;
  const page = await http.inject({
    url: "/console/inbox",
    headers: { ...BROWSER, cookie },
    remoteAddress: ip,
  });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1];
  if (!csrf) throw new Error(`no csrf meta on the inbox (status ${page.statusCode})`);
  return { cookie, csrf, ip };
}

/** POSTs a form as a signed-in browser; an array value is sent as repeated fields (checkboxes). */
export function postForm(
  http: FastifyInstance,
  browser: Browser,
  url: string,
  fields: Record<string, string | readonly string[]>,
  headers: Record<string, string> = {},
) {
  return http.inject({
    method: "POST",
    url,
    remoteAddress: browser.ip,
    headers: {
      ...BROWSER,
      cookie: browser.cookie,
      "content-type": "application/x-www-form-urlencoded",
      ...headers,
    },
    payload: new URLSearchParams(
      Object.entries(fields).flatMap(([key, value]) => [value].flat().map((one) => [key, one])),
    ).toString(),
  });
}

/** GETs a page as a signed-in browser. */
export function getPage(
  http: FastifyInstance,
  browser: Browser,
  url: string,
  headers: Record<string, string> = {},
) {
  return http.inject({
    url,
    remoteAddress: browser.ip,
    headers: { ...BROWSER, cookie: browser.cookie, ...headers },
  });
}

/** Adds a staff account with `role` and signs it in: the browser state, with the account's id. */
export async function signedInAs(
  http: FastifyInstance,
  db: Db,
  role: StaffRole,
): Promise<Browser & { id: string }> {
  const email = uniqueEmail(role);
  const id = await addStaff(db, email, role);
  return { ...(await signIn(http, email)), id };
}

/** A logger that keeps every line it writes, at every level: to check that a secret is never logged. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: "trace" }, sink), lines };
}
