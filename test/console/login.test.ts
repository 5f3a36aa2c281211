import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import {
  addStaff,
  BROWSER,
  cookieOf,
  getPage,
  PASSWORD,
  postLogin,
  randomIp,
  signIn,
  startConsole,
  uniqueEmail,
} from "./support.ts";

const database = useTestDatabase();
const { redis, prefix } = useTestRedis();
let http: FastifyInstance;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db, redis, redisPrefix: prefix }));
});
afterAll(async () => {
  await http.close();
});

describe("signing in", () => {
  it("starts a session in an HttpOnly, SameSite=Lax cookie scoped to /console, and goes to next", async () => {
    const email = uniqueEmail("ada");
    const id = await addStaff(database.db, email, "admin");
    const response = await postLogin(http, email, PASSWORD, { next: "/console/staff?tab=1" });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe("/console/staff?tab=1");
    const session = cookieOf(response, "rapport_session")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/console" });
    expect(session.secure).toBeFalsy();
    expect(session.value).toMatch(/^[\w-]{43}$/);
    const user = await database.db.staffUser.findUniqueOrThrow({ where: { id } });
    expect(user.lastLoginAt).toBeInstanceOf(Date);
    const audit = await database.db.auditLog.findMany({ where: { staffUserId: id, action: "staff.login" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: "staff", targetType: "StaffUser", targetId: id });
  });

  it("marks the cookie Secure when the console is served over https", async () => {
    const secure = await startConsole({ db: database.db, publicUrl: "https://crm.example.com" });
    const email = uniqueEmail("sam");
    await addStaff(database.db, email, "agent");
    const response = await postLogin(secure.http, email, PASSWORD);
    expect(cookieOf(response, "rapport_session")).toMatchObject({ secure: true, httpOnly: true });
    await secure.http.close();
  });

  it("says the same thing for a wrong password and an unknown address, and audits both without the password", async () => {
    const email = uniqueEmail("bob");
    const id = await addStaff(database.db, email, "agent");
    const wrong = await postLogin(http, email, "not the password at all");
    const unknown = await postLogin(http, uniqueEmail("nobody"), "not the password at all");
    for (const response of [wrong, unknown]) {
      expect(response.statusCode).toBe(401);
      expect(cookieOf(response, "rapport_session")).toBeUndefined();
      expect(response.body).toContain("The email or password is not correct.");
    }
    const strip = (html: string) => html.replace(/(value|content)="[^"]*"/g, "");
    expect(strip(wrong.body)).toBe(strip(unknown.body));
    const failed = await database.db.auditLog.findMany({ where: { action: "staff.login_failed" } });
    const mine = failed.find((row) => row.staffUserId === id);
    expect(mine?.data).toMatchObject({ email, reason: "wrong_password" });
    expect(failed.some((row) => (row.data as { reason?: string }).reason === "unknown_email")).toBe(true);
    expect(JSON.stringify(failed)).not.toContain("not the password at all");
  });

  it("refuses a disabled account with the same message", async () => {
    const email = uniqueEmail("gone");
    const id = await addStaff(database.db, email, "agent");
    await database.db.staffUser.update({ where: { id }, data: { disabledAt: new Date() } });
    const response = await postLogin(http, email, PASSWORD);
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain("The email or password is not correct.");
  });

  it("only follows next to console paths on this site", async () => {
    const email = uniqueEmail("nina");
    await addStaff(database.db, email, "agent");
    for (const next of [
      "https://evil.example/console",
      "//evil.example/console",
      "/consolex",
      "/\\evil.example",
    ]) {
      const response = await postLogin(http, email, PASSWORD, { next });
      expect(response.headers.location, next).toBe("/console/inbox");
    }
  });

  it("never sends a signed-in browser off the console, however next is spelt", async () => {
    const email = uniqueEmail("dots");
    await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    // raw query strings: the query parser decodes them once, so %25 reaches safeNext as a literal %
    const queries = [
      "/console/..//evil.example",
      "/console/../..//evil.example",
      "/console/./..//evil.example/",
      "%2Fconsole%2F..%2F%2Fevil.example",
      "/console/%2e%2e//evil.example",
      "/console/%252e%252e//evil.example",
      "/console/.%2e//evil.example",
      "/console/%252e%252E/%252fevil.example",
      "/console/%2F%2Fevil.example",
      "/console/%5C%5Cevil.example",
      "/console/..%5C%5Cevil.example",
      "/console/../%5Cevil.example",
      "/console/../\\\\evil.example",
      "/\\evil.example",
      "/console/..%09//evil.example",
      "/console/%09..//evil.example",
      "/console/..%0a//evil.example",
      "/console/..%0d%0a//evil.example",
      "/console/..%00//evil.example",
      "/console/..",
      "/console/../",
    ];
    for (const next of queries) {
      const page = await http.inject({
        url: `/console/login?next=${next}`,
        headers: { ...BROWSER, cookie: browser.cookie },
        remoteAddress: browser.ip,
      });
      expect(page.statusCode, next).toBe(302);
      const location = String(page.headers.location);
      expect(location, next).toMatch(/^\/console\//);
      expect(location, next).not.toMatch(/^\/[/\\]|[\\\s]/);
      const resolved = new URL(location, "https://crm.example.com/console/login");
      expect(resolved.origin, next).toBe("https://crm.example.com");
      expect(resolved.pathname, next).toMatch(/^\/console\//);
    }
    for (const next of ["/console/..//evil.example", "/console/../\\evil", "/console/%2e%2e//evil"]) {
      const response = await postLogin(http, email, PASSWORD, { next });
      expect(response.headers.location, next).toMatch(/^\/console\/(?![/\\])/);
    }
    // a real console path still comes back, with its query
    const kept = await http.inject({
      url: `/console/login?next=${encodeURIComponent("/console/customers?q=ann")}`,
      headers: { ...BROWSER, cookie: browser.cookie },
      remoteAddress: browser.ip,
    });
    expect(kept.headers.location).toBe("/console/customers?q=ann");
  });

  it("refuses a login form without its CSRF token", async () => {
    const email = uniqueEmail("csrf");
    await addStaff(database.db, email, "agent");
    const response = await http.inject({
      method: "POST",
      url: "/console/login",
      remoteAddress: randomIp(),
      headers: { ...BROWSER, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ email, password: PASSWORD }).toString(),
    });
    expect(response.statusCode).toBe(403);
    expect(cookieOf(response, "rapport_session")).toBeUndefined();
  });

  it("allows 5 attempts per address and IP in 15 minutes, then answers 429 in the browser's language", async () => {
    const email = uniqueEmail("target");
    await addStaff(database.db, email, "agent");
    const ip = randomIp();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await postLogin(http, email, `wrong password ${attempt}`, { ip });
      expect(response.statusCode).toBe(401);
    }
    const blocked = await postLogin(http, email, PASSWORD, {
      ip,
      headers: { "accept-language": "pl-PL,pl;q=0.9" },
    });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers["retry-after"]).toMatch(/^\d+$/);
    expect(blocked.body).toContain('<html lang="pl">');
    expect(blocked.body).toContain("Zbyt wiele prób logowania. Spróbuj ponownie za 15 minut.");
    expect(cookieOf(blocked, "rapport_session")).toBeUndefined();
    // the same address from another network, and another address from this one, still work
    expect((await postLogin(http, email, PASSWORD)).statusCode).toBe(303);
    const other = uniqueEmail("other");
    await addStaff(database.db, other, "agent");
    expect((await postLogin(http, other, PASSWORD, { ip })).statusCode).toBe(303);
    // the counters live in Redis under the app's prefix
    expect((await redis.keys(`${prefix}:ratelimit:console:*`)).length).toBeGreaterThan(0);
  });

  it("allows 20 attempts per IP across addresses", async () => {
    const ip = randomIp();
    for (let attempt = 1; attempt <= 20; attempt++) {
      const response = await postLogin(http, uniqueEmail("spray"), "wrong password", { ip });
      expect(response.statusCode).toBe(401);
    }
    const blocked = await postLogin(http, uniqueEmail("spray"), "wrong password", { ip });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.body).toContain("Too many sign-in attempts. Try again in 15 minutes.");
  });

  it("shows the login page in the language asked for, then the staff member's own", async () => {
    const id = await http.inject({ url: "/console/login", headers: { ...BROWSER, "accept-language": "id" } });
    expect(id.body).toContain('<html lang="id">');
    expect(id.body).toContain('<label for="login-email">Email</label>');
    expect(id.body).toContain("Kata sandi");
    const pl = await http.inject({
      url: "/console/login?lang=pl",
      headers: { ...BROWSER, "accept-language": "id" },
    });
    expect(pl.body).toContain('<html lang="pl">');
    expect(pl.body).toContain("Hasło");
  });

  it("signs out: the session row goes, the cookie is cleared, and the old cookie no longer works", async () => {
    const email = uniqueEmail("leaving");
    const id = await addStaff(database.db, email, "agent");
    const browser = await signIn(http, email);
    expect(await database.db.session.count({ where: { staffUserId: id } })).toBe(1);
    const response = await http.inject({
      method: "POST",
      url: "/console/logout",
      remoteAddress: browser.ip,
      headers: { ...BROWSER, cookie: browser.cookie, "content-type": "application/x-www-form-urlencoded" },
      payload: `_csrf=${browser.csrf}`,
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe("/console/login?signed_out=1");
    expect(cookieOf(response, "rapport_session")?.value).toBe("");
    expect(await database.db.session.count({ where: { staffUserId: id } })).toBe(0);
    const after = await getPage(http, browser, "/console/inbox");
    expect(after.statusCode).toBe(302);
    const audit = await database.db.auditLog.count({ where: { staffUserId: id, action: "staff.logout" } });
    expect(audit).toBe(1);
  });
});
