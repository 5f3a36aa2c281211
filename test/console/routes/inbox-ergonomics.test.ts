import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../../../lib/clock.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { addConversation, listedIds, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../support.ts";

// Issue 15's inbox ergonomics over HTTP: message search (PostgreSQL full text, `simple`), labels, "Resolve
// and next", and no snooze on a closed conversation.
const database = useTestDatabase();
const redis = useTestRedis();
const NOW = Date.parse("2026-03-10T09:00:00Z");
const clock = manualClock(NOW);
const minutesAgo = (n: number) => new Date(NOW - n * 60_000);
let http: FastifyInstance;
let agent: Browser & { id: string };
const ids: Record<"budi" | "kasia" | "tom" | "eve" | "closed", string> = {
  budi: "",
  kasia: "",
  tom: "",
  eve: "",
  closed: "",
};

beforeAll(async () => {
  ({ http } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix, clock }));
  const email = uniqueEmail("agent");
  const id = await addStaff(database.db, email, "agent", { name: "Ayu Agent" });
  agent = { ...(await signIn(http, email)), id };
  const seed = async (name: keyof typeof ids, seed: Parameters<typeof addConversation>[1]) => {
    ids[name] = (await addConversation(database.db, seed)).conversationId;
  };
  await seed("budi", {
    name: "Budi",
    locale: "id",
    lastMessageAt: minutesAgo(1),
    messages: [
      { text: "Halo, Pesanan saya belum sampai sejak hari Senin", sentAt: minutesAgo(3) },
      { text: "Terima kasih", sentAt: minutesAgo(1) },
    ],
  });
  await seed("kasia", {
    name: "Kasia",
    channel: "discord",
    locale: "pl",
    lastMessageAt: minutesAgo(2),
    messages: [{ text: "Dzień dobry, gdzie jest moje zamówienie numer 1042?", sentAt: minutesAgo(2) }],
  });
  await seed("tom", {
    name: "Tom",
    channel: "webchat",
    lastMessageAt: minutesAgo(3),
    messages: [{ text: "Where is my order? It was an order for two mugs", sentAt: minutesAgo(3) }],
  });
  await seed("eve", {
    name: "Eve",
    channel: "email",
    lastMessageAt: minutesAgo(4),
    messages: [{ text: "Thanks, all good", sentAt: minutesAgo(4) }],
  });
  await seed("closed", {
    name: "Zofia",
    status: "closed",
    lastMessageAt: minutesAgo(5),
    messages: [{ text: "Zamówienie dotarło, dziękuję", sentAt: minutesAgo(5) }],
  });
});
afterAll(async () => {
  await http?.close();
});

/** A page's HTML, with the `=` Handlebars writes as `&#x3D;` in attribute values put back. */
const page = async (url: string) => {
  const response = await getPage(http, agent, url);
  expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
  return response.body.replaceAll("&#x3D;", "=");
};

describe("searching the inbox's messages", () => {
  it("finds a Polish word with its diacritics, in any case, and shows the matching words", async () => {
    const html = await page(`/console/inbox?q=${encodeURIComponent("ZAMÓWIENIE")}`);
    expect(listedIds(html)).toEqual([ids.kasia]);
    expect(html).toContain("<mark>zamówienie</mark>");
    expect(html).toContain('value="ZAMÓWIENIE"');
    // the closed tab has its own match
    const closed = await page(`/console/inbox?status=closed&q=${encodeURIComponent("zamówienie")}`);
    expect(listedIds(closed)).toEqual([ids.closed]);
    expect(closed).toContain("<mark>Zamówienie</mark> dotarło");
  });

  it("finds an Indonesian word in an earlier message of the conversation, not only the latest", async () => {
    const html = await page("/console/inbox?q=pesanan");
    expect(listedIds(html)).toEqual([ids.budi]);
    expect(html).toContain("<mark>Pesanan</mark> saya belum sampai");
    // the row links to the conversation with the search kept, so the list beside it is the same
    expect(html).toContain(`/console/conversations/${ids.budi}?q=pesanan`);
  });

  it("takes web-search syntax: a phrase, or a word left out", async () => {
    expect(listedIds(await page(`/console/inbox?q=${encodeURIComponent('"two mugs"')}`))).toEqual([ids.tom]);
    expect(listedIds(await page(`/console/inbox?q=${encodeURIComponent('"mugs two"')}`))).toEqual([]);
    expect(listedIds(await page(`/console/inbox?q=${encodeURIComponent("order -mugs")}`))).toEqual([]);
  });

  it("says so when nothing matches, and lists everything again without a search", async () => {
    const html = await page("/console/inbox?q=refund");
    expect(listedIds(html)).toEqual([]);
    expect(html).toContain("No conversation has a message with “refund” under these filters.");
    expect(listedIds(await page("/console/inbox?q="))).toHaveLength(4);
  });

  it("answers a live row update of a searched list with its snippet", async () => {
    const response = await getPage(http, agent, `/console/inbox/rows/${ids.kasia}?q=zam%C3%B3wienie`, {
      accept: "*/*",
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain("<mark>zamówienie</mark>");
    const gone = await getPage(http, agent, `/console/inbox/rows/${ids.tom}?q=zam%C3%B3wienie`, {
      accept: "*/*",
    });
    expect(gone.statusCode).toBe(204);
  });
});

describe("labels on conversations", () => {
  it("adds labels (normalised), shows them in the rows, filters by them, and takes one off, audited", async () => {
    const label = (id: string, fields: Record<string, string>) =>
      postForm(http, agent, `/console/conversations/${id}/labels`, { ...fields, _csrf: agent.csrf });
    expect((await label(ids.kasia, { add: "  Refund " })).statusCode).toBe(303);
    expect((await label(ids.kasia, { add: "refund" })).statusCode).toBe(303); // once only
    expect((await label(ids.kasia, { add: "wysyłka" })).statusCode).toBe(303);
    expect((await label(ids.tom, { add: "refund" })).statusCode).toBe(303);
    expect((await label(ids.tom, { add: "no/slash" })).statusCode).toBe(400);
    const kasia = await database.db.conversation.findUniqueOrThrow({ where: { id: ids.kasia } });
    expect(kasia.labels).toEqual(["refund", "wysyłka"]);

    const inbox = await page("/console/inbox");
    expect(inbox).toMatch(
      /<span class="tag tag-label"><span class="visually-hidden">Label: <\/span>wysyłka<\/span>/,
    );
    expect(inbox).toContain('<option value="refund">refund</option>');
    expect(listedIds(await page("/console/inbox?label=refund"))).toEqual([ids.kasia, ids.tom]);
    expect(listedIds(await page("/console/inbox?label=Wysy%C5%82ka"))).toEqual([ids.kasia]);
    expect(listedIds(await page("/console/inbox?label=nothing-has-it"))).toEqual([]);

    // the filter's names: the labels ever added, each once
    const names = await database.db.conversationLabel.findMany({ orderBy: { name: "asc" } });
    expect(names.map((n) => n.name)).toEqual(["refund", "wysyłka"]);

    const removed = await label(ids.tom, { remove: "refund" });
    expect(removed.statusCode).toBe(303);
    expect(listedIds(await page("/console/inbox?label=refund"))).toEqual([ids.kasia]);

    const audit = await database.db.auditLog.findMany({
      where: { action: "conversation.label", targetId: { in: [ids.kasia, ids.tom] } },
    });
    // one clock instant for all: compared as a set
    expect(audit).toHaveLength(4);
    expect(audit.map((a) => [a.targetId, a.staffUserId, a.data])).toEqual(
      expect.arrayContaining([
        [ids.kasia, agent.id, { added: "refund" }],
        [ids.kasia, agent.id, { added: "wysyłka" }],
        [ids.tom, agent.id, { added: "refund" }],
        [ids.tom, agent.id, { removed: "refund" }],
      ]),
    );
  });

  it("shows the labels on the conversation page with a button to take each off", async () => {
    const html = await page(`/console/conversations/${ids.kasia}`);
    expect(html).toContain('aria-label="Remove the label refund"');
    expect(html).toContain('name="add"');
  });
});

describe("resolve and next", () => {
  it("closes the conversation and opens the next one of the list it came from, keeping the filters", async () => {
    const { conversationId: first } = await addConversation(database.db, {
      name: "Rina",
      channel: "x",
      lastMessageAt: minutesAgo(10),
    });
    const { conversationId: second } = await addConversation(database.db, {
      name: "Rudi",
      channel: "x",
      lastMessageAt: minutesAgo(11),
    });
    const resolve = (id: string) =>
      postForm(http, agent, `/console/conversations/${id}/resolve-next?channel=x`, { _csrf: agent.csrf });

    const response = await resolve(first);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/console/conversations/${second}?channel=x`);
    const closed = await database.db.conversation.findUniqueOrThrow({ where: { id: first } });
    expect(closed.status).toBe("closed");
    const audit = await database.db.auditLog.findFirst({
      where: { action: "conversation.close", targetId: first },
    });
    expect(audit?.staffUserId).toBe(agent.id);

    // the last of the list: back to the inbox with the same filters; a script gets where to go as JSON
    const last = await postForm(
      http,
      agent,
      `/console/conversations/${second}/resolve-next?channel=x`,
      { _csrf: agent.csrf },
      { accept: "application/json" },
    );
    expect(last.statusCode).toBe(200);
    expect(last.json()).toEqual({ ok: true, status: "closed", next: "/console/inbox?channel=x" });
  });

  it("goes to the conversation below in the list, not the top one", async () => {
    const inbox = listedIds(await page("/console/inbox"));
    expect(inbox.length).toBeGreaterThanOrEqual(3);
    const [, middle, below] = inbox;
    const response = await postForm(http, agent, `/console/conversations/${middle}/resolve-next`, {
      _csrf: agent.csrf,
    });
    expect(response.headers.location).toBe(`/console/conversations/${below}`);
  });

  it("offers the button and its shortcut on an open conversation, and keeps the list's filters in the forms", async () => {
    const html = await page(`/console/conversations/${ids.budi}?label=refund`);
    expect(html).toContain(`action="/console/conversations/${ids.budi}/resolve-next?label=refund"`);
    expect(html).toContain('aria-keyshortcuts="]"');
    expect(html).toContain(`action="/console/conversations/${ids.budi}/assign?label=refund"`);
  });
});

describe("snooze on a closed conversation", () => {
  it("is offered on an open conversation and absent on a closed one (with Resolve and next)", async () => {
    const open = await page(`/console/conversations/${ids.eve}`);
    expect(open).toContain('name="choice"');
    expect(open).toContain("data-resolve-next-button");
    const closed = await page(`/console/conversations/${ids.closed}`);
    expect(closed).toContain("Reopen");
    expect(closed).not.toContain('name="choice"');
    expect(closed).not.toContain(`/console/conversations/${ids.closed}/snooze`);
    expect(closed).not.toContain("data-resolve-next-button");
    // the live toolbar fragment too
    const toolbar = await getPage(http, agent, `/console/conversations/${ids.closed}/toolbar`, {
      accept: "*/*",
    });
    expect(toolbar.statusCode).toBe(200);
    expect(toolbar.body).toContain("Reopen");
    expect(toolbar.body).not.toContain("/snooze");
    // nor snoozed by a form of a page opened before it closed
    const snooze = await postForm(http, agent, `/console/conversations/${ids.closed}/snooze`, {
      choice: "1h",
      _csrf: agent.csrf,
    });
    expect(snooze.statusCode).toBe(400);
    const closedRow = await database.db.conversation.findUniqueOrThrow({ where: { id: ids.closed } });
    expect(closedRow.snoozedUntil).toBeNull();
  });
});
