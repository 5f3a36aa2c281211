import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../../support/db.ts";
import { addStaff, BROWSER, type Browser, getPage, signIn, startConsole, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let agent: Browser;
let marketer: Browser;
let admin: Browser;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  const emails = {
    agent: uniqueEmail("agent"),
    marketer: uniqueEmail("marketer"),
    admin: uniqueEmail("admin"),
  };
  await addStaff(database.db, emails.agent, "agent");
  await addStaff(database.db, emails.marketer, "marketer");
  await addStaff(database.db, emails.admin, "admin", { name: "Ada Admin" });
  [agent, marketer, admin] = await Promise.all([
    signIn(http, emails.agent),
    signIn(http, emails.marketer),
    signIn(http, emails.admin),
  ]);
});
afterAll(async () => {
  await http.close();
});

describe("without a session", () => {
  it("sends a browser to the login page, with the page to come back to", async () => {
    const response = await http.inject({ url: "/console/staff?sort=email", headers: BROWSER });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe("/console/login?next=%2Fconsole%2Fstaff%3Fsort%3Demail");
    const login = await http.inject({ url: response.headers.location!, headers: BROWSER });
    expect(login.statusCode).toBe(200);
    expect(login.body).toContain("Sign in to continue.");
    expect(login.body).toContain('name="next" value="/console/staff?sort&#x3D;email"');
  });

  it("answers 401 JSON to fetch, htmx and event streams", async () => {
    for (const headers of [
      { accept: "application/json" },
      {},
      { accept: "text/html", "hx-request": "true", "hx-current-url": "http://localhost:3000/console/inbox" },
      { accept: "text/event-stream" },
    ]) {
      const response = await http.inject({ url: "/console/inbox", headers });
      expect(response.statusCode, JSON.stringify(headers)).toBe(401);
      expect(response.json()).toMatchObject({ error: "unauthenticated" });
    }
    const htmx = await http.inject({ url: "/console/inbox", headers: { "hx-request": "true" } });
    expect(htmx.headers["hx-redirect"]).toBe("/console/login");
  });

  it("does not tell which console pages exist", async () => {
    const response = await http.inject({ url: "/console/no-such-page", headers: BROWSER });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toMatch(/^\/console\/login/);
  });

  it("turns a form post into a trip to the login page", async () => {
    const response = await http.inject({
      method: "POST",
      url: "/console/me/locale",
      headers: { ...BROWSER, "content-type": "application/x-www-form-urlencoded" },
      payload: "locale=pl",
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe("/console/login");
  });

  it("ignores a made-up session cookie", async () => {
    const response = await http.inject({
      url: "/console/inbox",
      headers: { ...BROWSER, cookie: "rapport_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    });
    expect(response.statusCode).toBe(302);
  });
});

describe("with a session", () => {
  it("opens /console on the inbox, an empty placeholder in the layout", async () => {
    const home = await getPage(http, agent, "/console");
    expect(home.statusCode).toBe(302);
    expect(home.headers.location).toBe("/console/inbox");
    const inbox = await getPage(http, agent, "/console/inbox");
    expect(inbox.statusCode).toBe(200);
    expect(inbox.headers["cache-control"]).toBe("no-store");
    expect(inbox.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(inbox.body).toContain("<h1>Inbox</h1>");
    expect(inbox.body).toContain("No conversations yet.");
    expect(inbox.body).toMatch(
      /<a href="\/console\/inbox" data-shortcut="g i" aria-keyshortcuts="g i" aria-current="page">Inbox<\/a>/,
    );
    expect(inbox.body).toContain('<a class="skip-link" href="#main">Skip to main content</a>');
    expect(inbox.body).toContain('<main id="main"');
  });

  it("lets an agent and a marketer in everywhere but the admin pages, which answer 403", async () => {
    for (const browser of [agent, marketer]) {
      const page = await getPage(http, browser, "/console/staff");
      expect(page.statusCode).toBe(403);
      expect(page.body).toContain("You can&#x27;t open this page");
      expect(page.body).toContain("Only these roles can open it: Admin.");
      const json = await getPage(http, browser, "/console/staff", { accept: "application/json" });
      expect(json.statusCode).toBe(403);
      expect(json.json()).toMatchObject({ error: "forbidden" });
      expect((await getPage(http, browser, "/console/inbox")).body).not.toContain('href="/console/staff"');
    }
  });

  it("lets an admin open the staff page, linked from the navigation", async () => {
    const page = await getPage(http, admin, "/console/staff");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="/console/staff"');
    expect(page.body).toContain("Ada Admin");
  });

  it("answers an unknown page with a 404 page", async () => {
    const page = await getPage(http, agent, "/console/nope");
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain("Page not found");
  });

  it("answers a malformed body with 400, as JSON to a script and as a page to a browser", async () => {
    const send = (accept: string) =>
      http.inject({
        method: "POST",
        url: "/console/me/locale",
        remoteAddress: agent.ip,
        headers: {
          accept,
          cookie: agent.cookie,
          "content-type": "application/json",
          "x-csrf-token": agent.csrf,
        },
        payload: "{",
      });
    const json = await send("application/json");
    expect(json.statusCode).toBe(400);
    expect(json.json().message).toMatch(/malformed JSON body/);
    const page = await send("text/html");
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain("Something in the request was wrong");
  });

  it("answers an htmx request with the view alone, to swap in", async () => {
    const page = await getPage(http, agent, "/console/inbox", { "hx-request": "true" });
    expect(page.statusCode).toBe(200);
    expect(page.body.trim().startsWith("<h1>Inbox</h1>")).toBe(true);
    expect(page.body).not.toContain("<html");
  });
});
