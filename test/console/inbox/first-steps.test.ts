import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUE, type QueueContext, queueFor } from "../../../workers/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { type Browser, csrfField, getPage, postForm, signedInAs, startConsole } from "../support.ts";

// A new installation's empty inbox says how to begin: chat as a customer, or (admins) load the demo customers,
// whose purchases go through the events API's own functions and queue.

const database = useTestDatabase();
const redis = useTestRedis();
let http: FastifyInstance;
let queues: QueueContext;
let admin: Browser & { id: string };
let agent: Browser & { id: string };

beforeAll(async () => {
  queues = { connection: redis.redis, prefix: redis.prefix, installation: "first-steps" };
  ({ http } = await startConsole({ db: database.db, deps: { queues } }));
  admin = await signedInAs(http, database.db, "admin");
  agent = await signedInAs(http, database.db, "agent");
});
afterAll(() => http?.close());

/** The admin's page in a language: the console speaks the signed-in account's. */
async function adminPage(url: string, locale: "en" | "id" | "pl") {
  await database.db.staffUser.update({ where: { id: admin.id }, data: { locale } });
  return getPage(http, admin, url);
}

const demoEvents = () => database.db.event.count({ where: { source: "demo" } });

describe("the empty inbox", () => {
  it("offers the web chat demo and, to an admin, a form that loads the demo data, in the reader's language", async () => {
    const english = await adminPage("/console/inbox", "en");
    expect(english.statusCode).toBe(200);
    expect(english.body).toContain(
      '<a href="/webchat/demo" target="_blank" rel="noopener">Open the web chat demo</a>',
    );
    expect(english.body).toMatch(/<form method="post" action="\/console\/inbox\/demo-data">/);
    expect(csrfField(english.body)).not.toBe("");
    expect(english.body).toContain("Load demo data");
    const polish = await adminPage("/console/inbox", "pl");
    expect(polish.body).toContain("Otwórz demo czatu na stronie");
    expect(polish.body).toContain("Wczytaj dane demonstracyjne");
    const indonesian = await adminPage("/console/inbox", "id");
    expect(indonesian.body).toContain("Muat data demo");
  });

  it("shows an agent the web chat demo but no way to load data, and refuses the agent's post", async () => {
    const page = await getPage(http, agent, "/console/inbox");
    expect(page.body).toContain('href="/webchat/demo"');
    expect(page.body).not.toContain("/console/inbox/demo-data");
    const post = await postForm(http, agent, "/console/inbox/demo-data", { _csrf: agent.csrf });
    expect(post.statusCode).toBe(403);
    expect(await demoEvents()).toBe(0);
  });

  it("refuses a post without the admin's CSRF token", async () => {
    const post = await postForm(http, admin, "/console/inbox/demo-data", { _csrf: "forged" });
    expect(post.statusCode).toBe(403);
    expect(await demoEvents()).toBe(0);
  });

  it("loads the three demo purchases for an admin, queues them for the campaigns, audits it and says so", async () => {
    const post = await postForm(http, admin, "/console/inbox/demo-data", { _csrf: admin.csrf });
    expect(post.statusCode).toBe(303);
    expect(post.headers.location).toBe("/console/inbox?demo=3");
    const events = await database.db.event.findMany({
      where: { source: "demo" },
      select: { id: true, type: true, customer: { select: { email: true } } },
    });
    expect(events.map((e) => e.customer.email).sort()).toEqual([
      "emma.walker@example.com",
      "jan.kowalski@example.com",
      "siti.rahayu@example.com",
    ]);
    expect(events.every((e) => e.type === "purchase")).toBe(true);
    const waiting = await queueFor(queues, QUEUE.events).getJobs(["waiting", "delayed", "prioritized"]);
    expect(waiting.map((job) => (job.data as { eventId: string }).eventId).sort()).toEqual(
      events.map((e) => e.id).sort(),
    );
    expect(await database.db.auditLog.count({ where: { action: "demo.load" } })).toBe(1);
    const after = await adminPage(post.headers.location as string, "id");
    expect(after.body).toContain("Data demo dimuat: 3 pelanggan");
  });
});
