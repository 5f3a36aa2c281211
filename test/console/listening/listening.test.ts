import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveEvent } from "../../../console/index.ts";
import { X_ROUTES } from "../../fakes/x.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../support.ts";
import { type ListeningDesk, startListeningDesk } from "./support.ts";

// The listening desk end to end at the HTTP edge: posts come in through the X listener from the fake X, staff
// act on them through the console's forms, and answers leave through X's deliver worker to the fake X.
const database = useTestDatabase();
const redis = useTestRedis();
let desk: ListeningDesk;
let agent: Browser & { id: string };
let colleague: Browser & { id: string };
let marketer: Browser & { id: string };
const events: LiveEvent[] = [];
/** The hits' ids by name. */
const hits: Record<"mention" | "keyword" | "both" | "older", string> = {} as never;

const hitIds = (html: string) => [...html.matchAll(/data-hit-id="([^"]+)"/g)].map((m) => m[1]);
const hitOf = (id: string) => database.db.listeningHit.findUniqueOrThrow({ where: { interactionId: id } });
const interactionOf = async (tweetId: string) =>
  (await database.db.interaction.findFirstOrThrow({ where: { channel: "x", externalId: tweetId } })).id;
const auditOf = (id: string) =>
  database.db.auditLog.findMany({
    where: { targetType: "ListeningHit", targetId: id },
    orderBy: { createdAt: "asc" },
  });

beforeAll(async () => {
  desk = await startListeningDesk(database.db, redis.redis, redis.prefix);
  desk.live.subscribe((event) => events.push(event));
  const account = async (role: "agent" | "marketer", name: string) => {
    const email = uniqueEmail(role);
    const id = await addStaff(database.db, email, role, { name });
    return { ...(await signIn(desk.http, email)), id };
  };
  agent = await account("agent", "Ayu");
  colleague = await account("agent", "Bagus");
  marketer = await account("marketer", "Maya");

  await desk.poll(); // the first poll learns where "now" is
  const at = (minutes: number) => new Date(desk.clock.now() - minutes * 60_000);
  const older = desk.fake.addSearchResult({
    username: "old_timer",
    text: "Rapport was fine last year",
    createdAt: at(50),
  });
  const keyword = desk.fake.addSearchResult({
    username: "budi_ngopi",
    name: "Budi",
    text: "Anyone tried Kopi Senja yet? Thinking of ordering",
    createdAt: at(30),
  });
  const mention = desk.fake.addMention({
    username: "ayu_w",
    name: "Ayu W",
    text: "@rapport_brand where is my order?",
    createdAt: at(20),
  });
  // addressed to the brand and containing a keyword: found by both streams
  const both = desk.fake.addMention({
    username: "kasia",
    text: "@rapport_brand kopi senja is back?",
    createdAt: at(10),
  });
  await desk.poll();
  hits.older = await interactionOf(older.id);
  hits.keyword = await interactionOf(keyword.id);
  hits.mention = await interactionOf(mention.id);
  hits.both = await interactionOf(both.id);
}, 30_000);
afterAll(async () => {
  await desk?.close();
});

describe("capture", () => {
  it("keeps one listening hit per public post, with 'mention' and the keywords it contains, and none for a DM", async () => {
    desk.fake.addDirectMessage({ username: "dm_person", text: "kopi senja by DM" });
    await desk.poll();
    await desk.poll(); // polling again changes nothing
    const rows = await database.db.listeningHit.findMany({ orderBy: { sentAt: "asc" } });
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => [r.interactionId, r.keywords, r.status])).toEqual([
      [hits.older, ["rapport"], "new"],
      [hits.keyword, ["kopi senja"], "new"],
      [hits.mention, ["mention"], "new"],
      [hits.both, ["mention", "kopi senja"], "new"],
    ]);
    // keyword hits open no conversation; mentions do
    const keyword = await database.db.interaction.findUniqueOrThrow({ where: { id: hits.keyword } });
    expect(keyword.conversationId).toBeNull();
  });

  it("tells the open desks of each new hit live", () => {
    const told = events.filter((e) => e.kind === "listening").map((e) => e.interactionId);
    expect(told).toEqual(expect.arrayContaining([hits.older, hits.keyword, hits.mention, hits.both]));
  });
});

describe("the list", () => {
  it("lists every hit newest first, with author, text, status and keywords", async () => {
    const page = await getPage(desk.http, agent, "/console/listening");
    expect(page.statusCode).toBe(200);
    expect(hitIds(page.body)).toEqual([hits.both, hits.mention, hits.keyword, hits.older]);
    expect(page.body).toContain("Anyone tried Kopi Senja yet?");
    expect(page.body).toContain("Budi");
    expect(page.body).toContain("@budi_ngopi");
    expect(page.body).toMatch(/href="\/console\/customers\/[0-9a-f-]{36}"/);
    // the keyword filter offers what the hits carry, mentions by name,
    const options = [...page.body.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)]
      .map((m) => [m[1], m[2]])
      .filter(([value]) => ["mention", "kopi senja", "rapport"].includes(value!));
    // most frequent first (two each for kopi senja and mentions), then by name
    expect(options).toEqual([
      ["kopi senja", "kopi senja"],
      ["mention", "Mention"],
      ["rapport", "rapport"],
    ]);
  });

  it("filters by keyword, channel and status, and ignores a value the form never offers", async () => {
    const ids = async (query: string) =>
      hitIds((await getPage(desk.http, agent, `/console/listening?${query}`)).body);
    expect(await ids("keyword=kopi+senja")).toEqual([hits.both, hits.keyword]);
    expect(await ids("keyword=mention")).toEqual([hits.both, hits.mention]);
    expect(await ids("channel=x")).toHaveLength(4);
    expect(await ids("channel=telegram")).toEqual([]);
    expect(await ids("status=ignored")).toEqual([]);
    expect(await ids("status=bogus")).toHaveLength(4);
  });

  it("pages by keyset: the next page starts after the last hit shown", async () => {
    const { listHits } = await import("../../../console/listening/list.ts");
    desk.fake.addDirectMessage({ username: "old_timer", text: "Is Kopi Senja halal?" });
    await desk.poll();
    const first = await listHits(database.db, {}, 3);
    expect(first.rows.map((r) => r.id)).toEqual([hits.both, hits.mention, hits.keyword]);
    expect(first.next).toBeDefined();
    const second = await listHits(database.db, { after: first.next }, 3);
    expect(second.rows.map((r) => r.id)).toEqual([hits.older]);
    expect(second.next).toBeUndefined();
    // the author's other messages come with their times, whatever the server's time zone
    const olderRow = second.rows[0]!;
    const others = await database.db.interaction.findMany({
      where: { customerId: olderRow.customerId, id: { not: hits.older } },
      orderBy: { sentAt: "desc" },
    });
    expect(olderRow.history).toHaveLength(1);
    expect(olderRow.history.map((h) => h.sentAt.toISOString())).toEqual(
      others.slice(0, 3).map((o) => o.sentAt.toISOString()),
    );
  });

  it("answers one hit's row for a live update, and 204 when it no longer matches the filters", async () => {
    const row = await getPage(desk.http, agent, `/console/listening/rows/${hits.keyword}`);
    expect(row.statusCode).toBe(200);
    expect(hitIds(row.body)).toEqual([hits.keyword]);
    const filtered = await getPage(
      desk.http,
      agent,
      `/console/listening/rows/${hits.keyword}?keyword=mention`,
    );
    expect(filtered.statusCode).toBe(204);
  });
});

describe("actions", () => {
  it("replies publicly: X receives a reply to the post, and the hit is answered, assigned and audited", async () => {
    const tweetId = (await database.db.interaction.findUniqueOrThrow({ where: { id: hits.keyword } }))
      .externalId;
    const formId = randomUUID();
    const send = () =>
      postForm(desk.http, agent, `/console/listening/${hits.keyword}/reply`, {
        _csrf: agent.csrf,
        formId,
        text: "Hi Budi! Kopi Senja ships tomorrow.",
        mode: "public",
      });
    const response = await send();
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/console/listening#hit-${hits.keyword}`);
    expect((await send()).statusCode).toBe(303); // the same form twice is one message

    const posted = await waitFor("the reply post", () => {
      const calls = desk.fake.callsTo(X_ROUTES.tweet).filter((c) => c.status >= 200 && c.status < 300);
      return calls.length > 0 ? calls : undefined;
    });
    expect(posted).toHaveLength(1);
    expect(posted[0]!.body).toEqual({
      text: "Hi Budi! Kopi Senja ships tomorrow.",
      reply: { in_reply_to_tweet_id: tweetId },
    });
    const hit = await hitOf(hits.keyword);
    expect(hit.status).toBe("answered");
    expect(hit.answeredAt?.getTime()).toBe(desk.clock.now());
    expect(hit.answeredById).toBe(agent.id);
    expect(hit.assigneeId).toBe(agent.id);
    const audit = await auditOf(hits.keyword);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: "listening.reply", staffUserId: agent.id });
    expect(audit[0]!.data).toMatchObject({ mode: "public", deliveryId: hit.answerDeliveryId });
    // the answer is in the author's history, as the agent's
    const sent = await waitFor("the recorded reply", () =>
      database.db.interaction.findFirst({ where: { deliveryId: hit.answerDeliveryId } }),
    );
    expect(sent).toMatchObject({ direction: "outbound", author: "staff", staffUserId: agent.id });
    expect(events).toContainEqual(
      expect.objectContaining({ kind: "listening", interactionId: hits.keyword, status: "answered" }),
    );

    const page = await getPage(desk.http, agent, "/console/listening?status=answered");
    expect(hitIds(page.body)).toEqual([hits.keyword]);
  });

  it("replies by DM to the post's author", async () => {
    const author = (await database.db.interaction.findUniqueOrThrow({ where: { id: hits.older } })).raw as {
      tweet: { author_id: string };
    };
    const response = await postForm(desk.http, agent, `/console/listening/${hits.older}/reply`, {
      _csrf: agent.csrf,
      formId: randomUUID(),
      text: "Thanks for the kind words!",
      mode: "dm",
    });
    expect(response.statusCode).toBe(303);
    const dm = await waitFor("the DM", () =>
      desk.fake.dms.find((d) => d.text === "Thanks for the kind words!"),
    );
    expect(dm.participantId).toBe(author.tweet.author_id);
    expect((await hitOf(hits.older)).status).toBe("answered");
    expect((await auditOf(hits.older)).map((a) => (a.data as { mode: string }).mode)).toEqual(["dm"]);
  });

  it("assigns, ignores, escalates and puts back to new, each audited", async () => {
    const post = (path: string, fields: Record<string, string>) =>
      postForm(desk.http, agent, `/console/listening/${hits.mention}/${path}`, {
        _csrf: agent.csrf,
        ...fields,
      });
    expect((await post("assign", { assignee: colleague.id })).statusCode).toBe(303);
    expect((await hitOf(hits.mention)).assigneeId).toBe(colleague.id);
    expect((await post("status", { status: "ignored" })).statusCode).toBe(303);
    expect((await hitOf(hits.mention)).status).toBe("ignored");
    expect((await post("status", { status: "escalated" })).statusCode).toBe(303);
    expect((await hitOf(hits.mention)).status).toBe("escalated");
    expect((await post("status", { status: "new" })).statusCode).toBe(303);
    expect((await post("assign", { assignee: "me" })).statusCode).toBe(303);
    expect((await hitOf(hits.mention)).assigneeId).toBe(agent.id);
    const audit = await auditOf(hits.mention);
    expect(audit.map((a) => [a.action, a.data])).toEqual([
      ["listening.assign", { assigneeId: colleague.id }],
      ["listening.status", { status: "ignored" }],
      ["listening.status", { status: "escalated" }],
      ["listening.status", { status: "new" }],
      ["listening.assign", { assigneeId: agent.id }],
    ]);
    // "answered" comes from a reply only; a marketer cannot assign to themselves either
    expect((await post("status", { status: "answered" })).statusCode).toBe(400);
    expect((await post("assign", { assignee: marketer.id })).statusCode).toBe(400);
  });

  it("opens a conversation for a keyword hit's author with the post in it, and goes there", async () => {
    const response = await postForm(desk.http, agent, `/console/listening/${hits.keyword}/conversation`, {
      _csrf: agent.csrf,
    });
    expect(response.statusCode).toBe(303);
    const post = await database.db.interaction.findUniqueOrThrow({ where: { id: hits.keyword } });
    expect(post.conversationId).not.toBeNull();
    expect(response.headers.location).toBe(`/console/conversations/${post.conversationId}`);
    const conversation = await database.db.conversation.findUniqueOrThrow({
      where: { id: post.conversationId! },
    });
    expect(conversation).toMatchObject({
      customerId: post.customerId,
      channel: "x",
      threadRef: post.externalId,
    });
    // again: the same conversation
    const again = await postForm(desk.http, agent, `/console/listening/${hits.keyword}/conversation`, {
      _csrf: agent.csrf,
    });
    expect(again.headers.location).toBe(response.headers.location);
    const audit = (await auditOf(hits.keyword)).filter((a) => a.action === "listening.open");
    expect(audit.map((a) => a.data)).toEqual([
      { conversationId: post.conversationId, created: true },
      { conversationId: post.conversationId, created: false },
    ]);
  });

  it("counts a staff reply in a mention's conversation (the inbox) as its answer", async () => {
    const post = await database.db.interaction.findUniqueOrThrow({ where: { id: hits.both } });
    expect(post.conversationId).not.toBeNull();
    const response = await postForm(
      desk.http,
      colleague,
      `/console/conversations/${post.conversationId}/reply`,
      {
        _csrf: colleague.csrf,
        formId: randomUUID(),
        text: "Yes, Kopi Senja is back!",
      },
    );
    expect(response.statusCode).toBe(303);
    const hit = await hitOf(hits.both);
    expect(hit).toMatchObject({ status: "answered", answeredById: colleague.id, assigneeId: colleague.id });
    // every open desk hears it, as it hears the desk's own answers
    expect(
      events.filter((e) => e.kind === "listening" && e.interactionId === hits.both).at(-1),
    ).toMatchObject({
      status: "answered",
      staffUserId: colleague.id,
    });
    expect(hit.answeredAt?.getTime()).toBe(desk.clock.now());
    const posted = await waitFor("the reply post", () =>
      desk.fake.callsTo(X_ROUTES.tweet).find((c) => JSON.stringify(c.body).includes("is back!")),
    );
    expect(posted.body).toEqual({
      text: "Yes, Kopi Senja is back!",
      reply: { in_reply_to_tweet_id: post.externalId },
    });
    // put back, for the tests below
    await database.db.listeningHit.update({
      where: { interactionId: hits.both },
      data: { status: "new", answeredAt: null, answeredById: null, answerDeliveryId: null, assigneeId: null },
    });
  });

  it("lets marketers read the desk but not act on it", async () => {
    const page = await getPage(desk.http, marketer, "/console/listening");
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain("/reply");
    const refused = await postForm(desk.http, marketer, `/console/listening/${hits.both}/status`, {
      _csrf: marketer.csrf,
      status: "ignored",
    });
    expect(refused.statusCode).toBe(403);
    expect((await hitOf(hits.both)).status).toBe("new");
  });

  it("answers 404 for a malformed or unknown hit and 400 for a bad body, never 5xx", async () => {
    const unknown = randomUUID();
    for (const id of ["not-a-uuid", unknown, "1' OR '1'='1"]) {
      for (const [path, fields] of [
        ["reply", { formId: randomUUID(), text: "hi", mode: "public" }],
        ["assign", { assignee: "me" }],
        ["status", { status: "ignored" }],
        ["conversation", {}],
      ] as const) {
        const response = await postForm(
          desk.http,
          agent,
          `/console/listening/${encodeURIComponent(id)}/${path}`,
          {
            _csrf: agent.csrf,
            ...fields,
          },
        );
        expect([path, id, response.statusCode]).toEqual([path, id, 404]);
      }
      const row = await getPage(desk.http, agent, `/console/listening/rows/${encodeURIComponent(id)}`);
      expect(row.statusCode).toBe(404);
    }
    // a conversation's id is not a hit's
    const conversation = await database.db.conversation.findFirstOrThrow();
    const foreign = await postForm(desk.http, agent, `/console/listening/${conversation.id}/status`, {
      _csrf: agent.csrf,
      status: "ignored",
    });
    expect(foreign.statusCode).toBe(404);
    const badBodies: Array<Record<string, string>> = [
      {},
      { text: "", formId: randomUUID(), mode: "public" },
      { text: "x", formId: "nope", mode: "public" },
      { text: "x", formId: randomUUID(), mode: "shout" },
    ];
    for (const fields of badBodies) {
      const bad = await postForm(desk.http, agent, `/console/listening/${hits.both}/reply`, {
        _csrf: agent.csrf,
        ...fields,
      });
      expect(bad.statusCode).toBe(400);
    }
    expect(
      (
        await postForm(desk.http, agent, `/console/listening/${hits.both}/assign`, {
          _csrf: agent.csrf,
          assignee: "x",
        })
      ).statusCode,
    ).toBe(400);
    expect(await auditOf(hits.both)).toEqual([]);
  });
});
