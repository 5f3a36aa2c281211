import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  addStaff,
  BROWSER,
  type Browser,
  getPage,
  postForm,
  signIn,
  startConsole,
  uniqueEmail,
} from "../console/support.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { checkProperty, useFuzzSummary } from "./support/run.ts";

// Every console redirect that takes user input — `next` after signing in (GET /console/login while signed
// in, POST /console/me/locale) and the way back to a page after the login (any /console/ path opened without a
// session) — must land on a console page of this site, however the input is spelt.
const database = useTestDatabase();
const { redis, prefix } = useTestRedis();
const summary = useFuzzSummary("console-redirects");
const SITE = "https://rapport.example";
let http: FastifyInstance;
let browser: Browser;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db, redis, redisPrefix: prefix, publicUrl: SITE }));
  const email = uniqueEmail("redirects");
  await addStaff(database.db, email, "agent");
  browser = await signIn(http, email);
});
afterAll(async () => {
  await http.close();
});

/** Pieces attackers combine: dot segments, slashes and backslashes in every spelling, schemes, hosts. */
const PIECES = [
  "/",
  "//",
  "\\",
  ".",
  "..",
  "%2e",
  "%2E",
  "%252e",
  "%2f",
  "%2F",
  "%252f",
  "%5c",
  "%5C",
  "%09",
  "%0a",
  "%0d",
  "%00",
  "%20",
  "\t",
  "\n",
  " ",
  "console",
  "/console",
  "/console/",
  "login",
  "logout",
  "inbox",
  "evil.example",
  "@evil.example",
  "https:",
  "javascript:alert(1)",
  ":",
  "?",
  "#",
  "%23",
  "%3F",
  "&next=",
  "%26next%3D",
  "\u0000",
  "\ud800",
  "é",
];

/** A `next` value: console-looking pieces, or anything at all. */
const nextValue = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }).map((p) => p.join("")),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((p) => `/console/${p.join("")}`),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.webUrl().map((url) => `/console/..${url.replace(/^https?:/, "")}`),
);

/** Bytes of text as %XX where a request line cannot carry them as they are (lone surrogates as U+FFFD). */
function rawQuery(text: string): string {
  return [...text]
    .map((char) => (/^[\x21-\x7e]$/.test(char) && char !== "#" ? char : percent(char)))
    .join("");
}

function percent(char: string): string {
  return [...Buffer.from(char, "utf8")]
    .map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
    .join("");
}

/** Where a browser on the console would go with this Location: it stays on the site, under /console/. */
function expectOnConsole(location: unknown, input: string): void {
  expect(typeof location, input).toBe("string");
  const target = new URL(location as string, `${SITE}/console/login`);
  expect(target.origin, `${input} → ${location}`).toBe(SITE);
  expect(target.pathname.startsWith("/console/"), `${input} → ${location}`).toBe(true);
  expect(location as string, input).toMatch(/^\/console\//);
}

it("sends a signed-in browser only to console pages of this site, whatever next is (GET /console/login)", async () => {
  await checkProperty(
    summary,
    "GET /console/login?next=",
    nextValue,
    async (next) => {
      // raw, as a browser sends what a link holds, and encoded, as a form would send it
      for (const query of [rawQuery(next), encodeURIComponent(next.replace(/[\ud800-\udfff]/g, ""))]) {
        const response = await getPage(http, browser, `/console/login?next=${query}`);
        summary.count("GET /console/login?next=", response.statusCode);
        expect(response.statusCode, `${query}: ${response.body.slice(0, 200)}`).toBeLessThan(500);
        if (response.statusCode === 302) expectOnConsole(response.headers.location, query);
      }
    },
    150,
  );
});

it("goes back only to console pages after switching language, whatever next is (POST /console/me/locale)", async () => {
  await checkProperty(
    summary,
    "POST /console/me/locale",
    nextValue,
    async (next) => {
      const response = await postForm(http, browser, "/console/me/locale", {
        locale: "en",
        next,
        _csrf: browser.csrf,
      });
      summary.count("POST /console/me/locale", response.statusCode);
      expect(response.statusCode, response.body.slice(0, 200)).toBe(303);
      expectOnConsole(response.headers.location, next);
    },
    100,
  );
});

it("sends a browser without a session to the login page, and back only to a console page (any /console/ path)", async () => {
  await checkProperty(
    summary,
    "GET /console/<path> signed out",
    fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((p) => `/console/${rawQuery(p.join(""))}`),
    async (path) => {
      const response = await http.inject({ url: path, headers: BROWSER });
      summary.count("GET /console/<path> signed out", response.statusCode);
      expect(response.statusCode, `${path}: ${response.body.slice(0, 200)}`).toBeLessThan(500);
      if (response.statusCode !== 302) return;
      const location = response.headers.location as string;
      expectOnConsole(location, path);
      const next = new URL(location, SITE).searchParams.get("next");
      if (next !== null) expectOnConsole(next, path);
    },
    100,
  );
});
