import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerLookupApi } from "../../console/customers/lookup-api.ts";
import { systemClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";
import { type Browser, capturingLogger, getPage, postForm, signedInAs, startConsole } from "./support.ts";

const database = useTestDatabase();
/** Every line the console logged, at every level. */
const { log, lines: logged } = capturingLogger();
const api = createHttpServer({ log: silentLogger });
let http: FastifyInstance;
let admin: Browser;
let adminId: string;
let agent: Browser;
let marketer: Browser;

beforeAll(async () => {
  registerLookupApi(api, { db: database.db, clock: systemClock });
  await api.ready();
  ({ http } = await startConsole({ db: database.db, log }));
  const signedAdmin = await signedInAs(http, database.db, "admin");
  admin = signedAdmin;
  adminId = signedAdmin.id;
  agent = await signedInAs(http, database.db, "agent");
  marketer = await signedInAs(http, database.db, "marketer");
});
afterAll(async () => {
  await http?.close();
  await api.close();
});

const TOKEN = /rpt_[A-Za-z0-9_-]{43}/g;
const lookup = (token: string, email: string) =>
  api.inject({
    url: `/api/customers/lookup?email=${encodeURIComponent(email)}`,
    headers: { authorization: `Bearer ${token}` },
  });

describe("the API tokens page", () => {
  it("creates a token shown once, which works against the lookup API until it is revoked; all audited", async () => {
    const email = `tokens.${Date.now()}@example.com`;
    await database.db.customer.create({ data: { email, name: "Dewi" } });

    const page = await getPage(http, admin, "/console/tokens");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="scopes" value="customers:read"');
    expect(page.body).toContain('name="scopes" value="loyalty:write"');

    const created = await postForm(http, admin, "/console/tokens", {
      _csrf: admin.csrf,
      name: "call centre",
      scopes: ["customers:read", "calls:write"],
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBeUndefined();
    expect(created.headers["cache-control"]).toBe("no-store");
    const shown = created.body.match(TOKEN) ?? [];
    expect(shown).toHaveLength(1);
    const token = shown[0]!;
    expect(created.body).toContain("the only time the token is shown");

    const row = await database.db.apiToken.findFirstOrThrow({ where: { name: "call centre" } });
    expect(row).toMatchObject({
      scopes: ["customers:read", "calls:write"],
      createdBy: expect.stringMatching(/^admin\./),
    });
    expect(token.startsWith(row.prefix)).toBe(true);
    expect((await lookup(token, email)).statusCode).toBe(200);

    const listed = await getPage(http, admin, "/console/tokens");
    expect(listed.body).toContain(`data-token="${row.id}"`);
    expect(listed.body).toContain(`${row.prefix}…`);
    expect(listed.body).not.toContain(token);
    expect(listed.body).toContain(`action="/console/tokens/${row.id}/revoke"`);

    const revoked = await postForm(http, admin, `/console/tokens/${row.id}/revoke`, { _csrf: admin.csrf });
    expect(revoked.statusCode).toBe(303);
    expect(revoked.headers.location).toBe("/console/tokens?done=revoked");
    expect((await lookup(token, email)).statusCode).toBe(401);
    expect(
      (await database.db.apiToken.findUniqueOrThrow({ where: { id: row.id } })).revokedAt,
    ).not.toBeNull();
    const after = await getPage(http, admin, "/console/tokens?done=revoked");
    expect(after.body).toContain("The token was revoked");
    expect(after.body).not.toContain(`action="/console/tokens/${row.id}/revoke"`);
    // revoking twice finds no live token
    expect(
      (await postForm(http, admin, `/console/tokens/${row.id}/revoke`, { _csrf: admin.csrf })).statusCode,
    ).toBe(404);

    const audit = await database.db.auditLog.findMany({
      where: { targetId: row.id, action: { startsWith: "api_token." } },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => [a.action, a.staffUserId])).toEqual([
      ["api_token.create", adminId],
      ["api_token.revoke", adminId],
    ]);
    const everything = JSON.stringify(await database.db.auditLog.findMany());
    expect(everything).not.toContain(token);
    expect(logged.join("")).not.toContain(token);
  });

  it("shows the form again naming what is wrong, and creates nothing", async () => {
    const before = await database.db.apiToken.count();
    const noScope = await postForm(http, admin, "/console/tokens", { _csrf: admin.csrf, name: "till" });
    expect(noScope.statusCode).toBe(400);
    expect(noScope.body).toContain("Scopes: choose at least one.");
    expect(noScope.body).toContain('value="till"');
    const unknown = await postForm(http, admin, "/console/tokens", {
      _csrf: admin.csrf,
      name: "till",
      scopes: "customers:write",
    });
    expect(unknown.statusCode).toBe(400);
    const noName = await postForm(http, admin, "/console/tokens", {
      _csrf: admin.csrf,
      name: "  ",
      scopes: "events:write",
    });
    expect(noName.statusCode).toBe(400);
    expect(noName.body).toContain("Name: give the token a name");
    expect(noName.body).toMatch(/name="scopes" value="events:write" checked/);
    for (const response of [noScope, unknown, noName]) expect(response.body.match(TOKEN)).toBeNull();
    expect(await database.db.apiToken.count()).toBe(before);
  });

  it("is for admins only, and refuses a form without its CSRF token, writing nothing", async () => {
    const before = await database.db.apiToken.count();
    const audits = await database.db.auditLog.count({ where: { action: { startsWith: "api_token." } } });
    for (const browser of [agent, marketer]) {
      expect((await getPage(http, browser, "/console/tokens")).statusCode).toBe(403);
      const refused = await postForm(http, browser, "/console/tokens", {
        _csrf: browser.csrf,
        name: "sneaky",
        scopes: "customers:read",
      });
      expect(refused.statusCode).toBe(403);
      expect(refused.body.match(TOKEN)).toBeNull();
    }
    const noCsrf = await postForm(http, admin, "/console/tokens", {
      name: "sneaky",
      scopes: "customers:read",
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.body.match(TOKEN)).toBeNull();
    const wrongCsrf = await postForm(http, admin, "/console/tokens", {
      _csrf: `${admin.csrf}x`,
      name: "sneaky",
      scopes: "customers:read",
    });
    expect(wrongCsrf.statusCode).toBe(403);
    expect(await database.db.apiToken.count()).toBe(before);
    expect(await database.db.auditLog.count({ where: { action: { startsWith: "api_token." } } })).toBe(
      audits,
    );

    const live = await database.db.apiToken.create({
      data: {
        name: "kept",
        tokenHash: `hash-${Date.now()}`,
        prefix: "rpt_kept00",
        scopes: [],
        createdBy: "x",
      },
    });
    expect(
      (await postForm(http, agent, `/console/tokens/${live.id}/revoke`, { _csrf: agent.csrf })).statusCode,
    ).toBe(403);
    expect((await postForm(http, admin, `/console/tokens/${live.id}/revoke`, {})).statusCode).toBe(403);
    expect((await database.db.apiToken.findUniqueOrThrow({ where: { id: live.id } })).revokedAt).toBeNull();
    // neither sees the link in the navigation
    expect((await getPage(http, agent, "/console/inbox")).body).not.toContain('href="/console/tokens"');
    expect((await getPage(http, admin, "/console/inbox")).body).toContain('href="/console/tokens"');
  });
});
