import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstStartHint } from "../../console/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { BROWSER, cookieOf, csrfField, PASSWORD, randomIp, startConsole } from "./support.ts";

// The first admin, created in the browser through the link `rapport start` prints: the only way while the
// embedded database admits one process. Open only with the start's token and only while nobody has an account.
const database = useTestDatabase();
const { redis, prefix } = useTestRedis();
const TOKEN = "first-start-secret-token-0123456789";
let http: FastifyInstance;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db, redis, redisPrefix: prefix, setupToken: TOKEN }));
});
afterAll(async () => {
  await http.close();
});

/** Opens the setup page and posts its form as a browser would. */
async function submitSetup(fields: Record<string, string>, options: { csrf?: boolean } = {}) {
  const ip = randomIp();
  const page = await http.inject({
    url: `/console/setup?token=${TOKEN}`,
    headers: BROWSER,
    remoteAddress: ip,
  });
  expect(page.statusCode).toBe(200);
  const csrfCookie = cookieOf(page, "rapport_login_csrf")!;
  expect(csrfCookie).toMatchObject({ path: "/console/setup", httpOnly: true, sameSite: "Strict" });
  return http.inject({
    method: "POST",
    url: "/console/setup",
    remoteAddress: ip,
    headers: {
      ...BROWSER,
      "content-type": "application/x-www-form-urlencoded",
      cookie: `rapport_login_csrf=${csrfCookie.value}`,
    },
    payload: new URLSearchParams({
      token: TOKEN,
      ...(options.csrf !== false && { _csrf: csrfField(page.body) }),
      ...fields,
    }).toString(),
  });
}

const ADMIN = { name: "Nina Newcomer", email: "Nina@Example.com", password: PASSWORD, confirm: PASSWORD };

describe("firstStartHint", () => {
  it("gives the setup link, and with the embedded database says the command needs Rapport stopped", async () => {
    const url = "https://crm.example.com/";
    expect(await firstStartHint(database.db, url, { setupToken: TOKEN })).toBe(
      `No staff account yet: create the first admin at https://crm.example.com/console/setup?token=${TOKEN} ` +
        "or with `npx rapport staff add you@example.com --role admin`, then sign in at https://crm.example.com/console",
    );
    expect(await firstStartHint(database.db, url, { setupToken: TOKEN, embedded: true })).toBe(
      `No staff account yet: create the first admin at https://crm.example.com/console/setup?token=${TOKEN} ` +
        "(or stop Rapport, run `npx rapport staff add you@example.com --role admin` and start it again)",
    );
  });
});

describe("the first-start page", () => {
  it("is closed without the start's token, saying where the right link is", async () => {
    for (const url of ["/console/setup", "/console/setup?token=guess", `/console/setup?token=${TOKEN}x`]) {
      const page = await http.inject({ url, headers: BROWSER });
      expect(page.statusCode, url).toBe(403);
      expect(page.body).toContain("This setup link is not valid");
      expect(page.body).not.toContain('name="password"');
    }
    const closed = await startConsole({ db: database.db });
    const page = await closed.http.inject({ url: `/console/setup?token=${TOKEN}`, headers: BROWSER });
    expect(page.statusCode).toBe(403);
    await closed.http.close();
    const post = await http.inject({
      method: "POST",
      url: "/console/setup",
      headers: { ...BROWSER, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ ...ADMIN, token: "guess" }).toString(),
    });
    expect(post.statusCode).toBe(403);
    expect(await database.db.staffUser.count()).toBe(0);
  });

  it("speaks the browser's language", async () => {
    const page = await http.inject({
      url: `/console/setup?token=${TOKEN}`,
      headers: { ...BROWSER, "accept-language": "pl-PL,pl;q=0.9" },
    });
    expect(page.body).toContain("Utwórz pierwszego administratora");
  });

  it("refuses a form without its CSRF token, different passwords, a short one, and keeps what was typed", async () => {
    expect((await submitSetup(ADMIN, { csrf: false })).statusCode).toBe(403);
    const mismatch = await submitSetup({ ...ADMIN, confirm: `${PASSWORD}!` });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.body).toContain("The two passwords are not the same.");
    expect(mismatch.body).toContain('value="Nina Newcomer"');
    expect(mismatch.body).toContain('value="Nina@Example.com"');
    expect(mismatch.body).not.toContain(PASSWORD);
    const short = await submitSetup({ ...ADMIN, password: "short", confirm: "short" });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain("The password needs at least 10 characters.");
    const nameless = await submitSetup({ ...ADMIN, name: "  " });
    expect(nameless.body).toContain("Enter your name.");
    const bad = await submitSetup({ ...ADMIN, email: "not an address" });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("Enter an email address");
    expect(await database.db.staffUser.count()).toBe(0);
  });

  it("creates the admin, signs them in, audits both, then closes for good", async () => {
    const created = await submitSetup(ADMIN);
    expect(created.statusCode, created.body).toBe(303);
    expect(created.headers.location).toBe("/console");
    const admin = await database.db.staffUser.findUniqueOrThrow({ where: { email: "nina@example.com" } });
    expect(admin).toMatchObject({ role: "admin", name: "Nina Newcomer" });
    const session = cookieOf(created, "rapport_session")!;
    const inbox = await http.inject({
      url: "/console/inbox",
      headers: { ...BROWSER, cookie: `rapport_session=${session.value}` },
    });
    expect(inbox.statusCode).toBe(200);
    expect(inbox.body).toContain("Nina Newcomer");
    const audit = await database.db.auditLog.findMany({
      where: { targetId: admin.id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actorType])).toEqual([
      ["staff.create", "system"],
      ["staff.login", "staff"],
    ]);

    const again = await http.inject({ url: `/console/setup?token=${TOKEN}`, headers: BROWSER });
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe("/console/login");
    const second = await http.inject({
      method: "POST",
      url: "/console/setup",
      headers: { ...BROWSER, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ ...ADMIN, email: "mallory@example.com", token: TOKEN }).toString(),
    });
    expect([303, 403]).toContain(second.statusCode);
    expect(await database.db.staffUser.count()).toBe(1);
  });
});
