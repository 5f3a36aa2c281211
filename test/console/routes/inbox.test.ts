import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manualClock } from "../../../lib/clock.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { addConversation, listedIds, nextCursor, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, signIn, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const NOW = Date.parse("2026-03-10T09:00:00Z");
const clock = manualClock(NOW);
const minutesAgo = (n: number) => new Date(NOW - n * 60_000);
let http: FastifyInstance;
let agent: Browser;
let agentId: string;
let otherId: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  ({ http } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix, clock }));
  const email = uniqueEmail("agent");
  agentId = await addStaff(database.db, email, "agent", { name: "Ayu Agent" });
  otherId = await addStaff(database.db, uniqueEmail("other"), "agent", { name: "Olek Other" });
  agent = await signIn(http, email);
  const db = database.db;
  const seed = async (name: string, seed: Parameters<typeof addConversation>[1]) => {
    ids[name] = (await addConversation(db, seed)).conversationId;
  };
  await seed("telegramMine", {
    name: "Budi",
    lastMessageAt: minutesAgo(1),
    assigneeId: agentId,
    unreadCount: 2,
    locale: "id",
    messages: [{ text: "Pesanan saya belum sampai", sentAt: minutesAgo(1) }],
  });
  await seed("discordOther", {
    name: "Kasia",
    channel: "discord",
    lastMessageAt: minutesAgo(2),
    assigneeId: otherId,
    locale: "pl-PL",
  });
  await seed("webchatNobody", { name: "Maria", channel: "webchat", lastMessageAt: minutesAgo(3) });
  await seed("xPending", { name: "Tom", channel: "x", lastMessageAt: minutesAgo(4), status: "pending" });
  await seed("emailClosed", {
    name: "Eve",
    channel: "email",
    lastMessageAt: minutesAgo(5),
    status: "closed",
  });
  await seed("snoozed", {
    name: "Zed",
    lastMessageAt: minutesAgo(6),
    snoozedUntil: new Date(NOW + 3_600_000),
  });
  await seed("snoozeOver", {
    name: "Ola",
    lastMessageAt: minutesAgo(7),
    snoozedUntil: new Date(NOW - 60_000),
  });
});
afterAll(async () => {
  await http?.close();
});

const list = async (query = "") => {
  const response = await getPage(http, agent, `/console/inbox${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.body;
};

describe("the inbox", () => {
  it("lists open conversations of every channel, newest message first, with unread counts", async () => {
    const html = await list();
    expect(listedIds(html)).toEqual([ids.telegramMine, ids.discordOther, ids.webchatNobody, ids.snoozeOver]);
    expect(html).toContain("Pesanan saya belum sampai");
    expect(html).toContain("2 unread");
    expect(html).toContain("Assigned to Olek Other");
  });

  it("filters by status: pending, snoozed (out of open until their time) and closed", async () => {
    expect(listedIds(await list("?status=pending"))).toEqual([ids.xPending]);
    expect(listedIds(await list("?status=snoozed"))).toEqual([ids.snoozed]);
    expect(listedIds(await list("?status=closed"))).toEqual([ids.emailClosed]);
  });

  it("filters by channel, assignee (mine, unassigned, a person) and locale", async () => {
    expect(listedIds(await list("?channel=discord"))).toEqual([ids.discordOther]);
    expect(listedIds(await list("?assignee=mine"))).toEqual([ids.telegramMine]);
    expect(listedIds(await list(`?assignee=${otherId}`))).toEqual([ids.discordOther]);
    expect(listedIds(await list("?assignee=unassigned"))).toEqual([ids.webchatNobody, ids.snoozeOver]);
    expect(listedIds(await list("?locale=pl"))).toEqual([ids.discordOther]);
    expect(listedIds(await list("?locale=id&channel=telegram"))).toEqual([ids.telegramMine]);
  });

  it("ignores a filter value it does not know rather than failing", async () => {
    expect(listedIds(await list("?channel=fax&assignee=nobody&status=weird"))).toHaveLength(4);
  });

  it("pages by keyset, with ties on lastMessageAt kept in a stable order", async () => {
    const at = minutesAgo(60);
    const tied: string[] = [];
    for (let i = 0; i < 30; i++)
      tied.push(
        (await addConversation(database.db, { lastMessageAt: at, channel: "email", name: `T${i}` }))
          .conversationId,
      );
    tied.sort().reverse();
    const first = await list("?channel=email&status=open");
    expect(listedIds(first)).toEqual(tied.slice(0, 25));
    const cursor = nextCursor(first);
    expect(cursor).toBeDefined();
    const second = await list(`?channel=email&after=${cursor}`);
    expect(listedIds(second)).toEqual(tied.slice(25));
    expect(nextCursor(second)).toBeUndefined();
    expect(second).toContain("Back to the newest");
  });

  it("serves one row for live updates, or 204 when it no longer matches the filters", async () => {
    const row = await getPage(http, agent, `/console/inbox/rows/${ids.telegramMine}?assignee=mine`, {
      accept: "*/*",
    });
    expect(row.statusCode).toBe(200);
    expect(row.body.trim().startsWith(`<li class="inbox-row is-unread" id="conv-${ids.telegramMine}"`)).toBe(
      true,
    );
    expect(row.body).not.toContain("<html");
    const gone = await getPage(http, agent, `/console/inbox/rows/${ids.discordOther}?assignee=mine`, {
      accept: "*/*",
    });
    expect(gone.statusCode).toBe(204);
  });

  it("shows its texts in the staff member's language", async () => {
    const email = uniqueEmail("polish");
    await addStaff(database.db, email, "marketer", { locale: "pl" });
    const marketer = await signIn(http, email);
    const response = await getPage(http, marketer, "/console/inbox");
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain("Skrzynka odbiorcza");
    expect(response.body).toContain("Przypisano: Olek Other");
  });
});
