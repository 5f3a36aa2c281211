import type { Worker } from "bullmq";
import type { FastifyInstance } from "fastify";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeConversation, createTelegramChannel, type SendReply } from "../../../bots/index.ts";
import type { LiveEvent } from "../../../console/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { createTemplateStore } from "../../../templates/index.ts";
import { startDeliverWorker } from "../../../workers/deliver.ts";
import { type DeliverJob, queueFor, queueReply } from "../../../workers/index.ts";
import { type FakeTelegram, startFakeTelegram } from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";
import { addConversation, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
// Tuesday 10 March 2026, 09:00 UTC
const NOW = Date.parse("2026-03-10T09:00:00Z");
const clock = manualClock(NOW);
let http: FastifyInstance;
let telegram: FakeTelegram;
let worker: Worker<DeliverJob> | undefined;
const events: LiveEvent[] = [];
let agent: Browser & { id: string };
let colleague: Browser & { id: string };
let marketer: Browser & { id: string };
let admin: Browser & { id: string };

const deliverQueue = () =>
  queueFor<DeliverJob>({ connection: redis.redis, prefix: redis.prefix }, "deliver-telegram");

/** As cli/app.ts: the survey goes out through the responder's sendReply, a queued bot reply. */
const sendReply: SendReply = (reply) =>
  queueReply({ db: database.db, queues: { connection: redis.redis, prefix: redis.prefix }, clock }, reply);

beforeAll(async () => {
  telegram = await startFakeTelegram();
  const started = await startInboxConsole({
    db: database.db,
    redis: redis.redis,
    prefix: redis.prefix,
    clock,
    closeConversation: (conversationId, { survey }) =>
      closeConversation({ db: database.db, sendReply }, conversationId, {
        now: new Date(clock.now()),
        survey,
      }),
  });
  http = started.http;
  started.live.subscribe((event) => events.push(event));
  const account = async (role: "agent" | "admin" | "marketer", name: string) => {
    const email = uniqueEmail(role);
    const id = await addStaff(database.db, email, role, { name });
    return { ...(await signIn(http, email)), id };
  };
  agent = await account("agent", "Ayu");
  colleague = await account("agent", "Bagus");
  marketer = await account("marketer", "Maya");
  admin = await account("admin", "Adi");
});
afterAll(async () => {
  await worker?.close();
  await http?.close();
  await telegram?.close();
});

/** Starts the Telegram deliver worker (as `rapport worker` runs it) against the fake Telegram. */
function startWorker() {
  worker ??= startDeliverWorker(
    {
      db: database.db,
      clock,
      log: silentLogger,
      templates: createTemplateStore(),
      publicUrl: "http://localhost:3000",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: () => undefined,
      connection: redis.redis,
      prefix: redis.prefix,
      concurrency: 5,
      onDelivered: (delivered) =>
        events.push({
          conversationId: delivered.conversationId!,
          kind: "delivery",
          deliveryId: delivered.id,
          status: delivered.status,
        }),
    },
    createTelegramChannel(new Api(telegram.token, { apiRoot: telegram.apiRoot })),
  );
}

const conversation = (seed: Partial<Parameters<typeof addConversation>[1]> = {}) =>
  addConversation(database.db, { lastMessageAt: new Date(NOW - 60_000), unreadCount: 1, ...seed });

const post = (browser: Browser & { csrf: string }, url: string, fields: Record<string, string> = {}) =>
  postForm(http, browser, url, { _csrf: browser.csrf, ...fields });

const audits = (targetId: string) =>
  database.db.auditLog.findMany({ where: { targetId }, orderBy: { createdAt: "asc" } });

describe("replying", () => {
  it("queues a transactional Delivery on the channel's queue, written as the staff member, and comes back to the conversation", async () => {
    const { conversationId, threadRef } = await conversation();
    const formId = crypto.randomUUID();
    const response = await post(agent, `/console/conversations/${conversationId}/reply`, {
      text: "  Your parcel left Jakarta this morning.  ",
      formId,
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/console/conversations/${conversationId}`);

    const delivery = await database.db.delivery.findUniqueOrThrow({ where: { key: `r/staff/${formId}` } });
    expect(delivery).toMatchObject({
      kind: "transactional",
      channel: "telegram",
      status: "queued",
      recipient: threadRef,
      conversationId,
      data: { text: "Your parcel left Jakarta this morning.", author: "staff", staffUserId: agent.id },
    });
    const job = await deliverQueue().getJob(delivery.key);
    expect(job?.data).toEqual({ deliveryId: delivery.id });
    expect(await job?.getState()).toBe("waiting");

    const after = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(after).toMatchObject({
      firstReplyAt: new Date(NOW),
      assigneeId: agent.id,
      unreadCount: 0,
      handedOver: true,
    });
    expect((await audits(conversationId)).map((a) => [a.action, a.staffUserId])).toEqual([
      ["conversation.reply", agent.id],
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({
        conversationId,
        kind: "message",
        deliveryId: delivery.id,
        staffUserId: agent.id,
        staffName: "Ayu",
      }),
    );

    // the page shows it as queued until the worker sends it, then as sent, by the staff member
    const queued = await getPage(
      http,
      agent,
      `/console/conversations/${conversationId}/items/d-${delivery.id}`,
      { accept: "*/*" },
    );
    expect(queued.body).toMatch(/data-delivery-status="queued"/);
    startWorker();
    const sent = await waitFor("the reply to reach Telegram", () =>
      telegram.sent.find((m) => String(m.chat.id) === threadRef),
    );
    expect(sent.text).toBe("Your parcel left Jakarta this morning.");
    const interaction = await waitFor("the outbound interaction", () =>
      database.db.interaction.findUnique({ where: { deliveryId: delivery.id } }),
    );
    expect(interaction).toMatchObject({
      direction: "outbound",
      author: "staff",
      staffUserId: agent.id,
      internal: false,
    });
    expect(events).toContainEqual({
      conversationId,
      kind: "delivery",
      deliveryId: delivery.id,
      status: "sent",
    });
    const item = await getPage(
      http,
      agent,
      `/console/conversations/${conversationId}/items/d-${delivery.id}`,
      { accept: "*/*" },
    );
    expect(item.body).toMatch(/data-delivery-status="sent"/);
    expect(item.body).toContain("Ayu");
  });

  it("sends the same form once, and keeps firstReplyAt at the first reply", async () => {
    const { conversationId } = await conversation();
    const formId = crypto.randomUUID();
    for (const _ of [1, 2])
      await post(agent, `/console/conversations/${conversationId}/reply`, { text: "Hello!", formId });
    clock.advance(60_000);
    await post(agent, `/console/conversations/${conversationId}/reply`, {
      text: "Anything else?",
      formId: crypto.randomUUID(),
    });
    clock.set(NOW);
    expect(await database.db.delivery.count({ where: { conversationId } })).toBe(2);
    const after = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(after.firstReplyAt).toEqual(new Date(NOW));
    expect((await audits(conversationId)).filter((a) => a.action === "conversation.reply")).toHaveLength(2);
  });

  it("lets an agent reply to a conversation assigned to someone else, but not a marketer", async () => {
    const { conversationId } = await conversation({ assigneeId: agent.id });
    const ok = await post(colleague, `/console/conversations/${conversationId}/reply`, {
      text: "Covering for Ayu: done!",
      formId: crypto.randomUUID(),
    });
    expect(ok.statusCode).toBe(303);
    const refused = await post(marketer, `/console/conversations/${conversationId}/reply`, {
      text: "Buy more!",
      formId: crypto.randomUUID(),
    });
    expect(refused.statusCode).toBe(403);
    const deliveries = await database.db.delivery.findMany({ where: { conversationId } });
    expect(deliveries.map((d) => (d.data as { staffUserId: string }).staffUserId)).toEqual([colleague.id]);
    // still Ayu's
    expect(
      (await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).assigneeId,
    ).toBe(agent.id);
  });

  it("answers a script with JSON: the new message's ref and the next form id", async () => {
    const { conversationId } = await conversation();
    // as a page script's fetch sends it: the token in a header, JSON wanted
    const response = await postForm(
      http,
      agent,
      `/console/conversations/${conversationId}/reply`,
      { text: "Via fetch", formId: crypto.randomUUID() },
      { accept: "application/json", "x-csrf-token": agent.csrf },
    );
    expect(response.statusCode).toBe(200);
    const body = response.json() as { ok: boolean; ref: string; formId: string; status: string };
    expect(body).toMatchObject({ ok: true, status: "queued" });
    expect(body.ref).toMatch(/^d-[0-9a-f-]{36}$/);
    expect(body.formId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses an empty reply, and says when a conversation has no thread to answer in", async () => {
    const { conversationId } = await conversation();
    const empty = await post(agent, `/console/conversations/${conversationId}/reply`, {
      text: "   ",
      formId: crypto.randomUUID(),
    });
    expect(empty.statusCode).toBe(400);
    const listening = await conversation({ threadRef: null });
    const noThread = await post(agent, `/console/conversations/${listening.conversationId}/reply`, {
      text: "Hello",
      formId: crypto.randomUUID(),
    });
    expect(noThread.headers.location).toBe(
      `/console/conversations/${listening.conversationId}?problem=no_thread`,
    );
    const page = await getPage(http, agent, noThread.headers.location as string);
    expect(page.body).toContain("This conversation has no chat to reply in");
  });
});

describe("retrying a failed message", () => {
  it("shows why it failed and sends it again from the same Delivery", async () => {
    startWorker();
    const { conversationId, threadRef } = await conversation();
    // the next send fails: let the replies of the tests before go out first
    await waitFor(
      "earlier replies to be sent",
      async () => (await database.db.delivery.count({ where: { status: "queued" } })) === 0,
    );
    telegram.failNext("sendMessage", { status: 403, description: "Forbidden: bot was blocked by the user" });
    const formId = crypto.randomUUID();
    await post(agent, `/console/conversations/${conversationId}/reply`, { text: "Are you there?", formId });
    const delivery = await waitFor("the send to fail", () =>
      database.db.delivery.findFirst({ where: { key: `r/staff/${formId}`, status: "failed" } }),
    );
    expect(delivery.reason).toBe("rejected");
    const page = await getPage(http, agent, `/console/conversations/${conversationId}`);
    expect(page.body).toMatch(
      /data-delivery-status="failed"[\s\S]*?reason: rejected[\s\S]*?bot was blocked[\s\S]*?\/console\/deliveries\/[0-9a-f-]+\/retry/,
    );
    expect(await (await deliverQueue().getJob(delivery.key))?.getState()).toBe("failed");

    const response = await post(agent, `/console/deliveries/${delivery.id}/retry`);
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/console/conversations/${conversationId}`);
    await waitFor("the retried reply to reach Telegram", () =>
      telegram.sent.find((m) => String(m.chat.id) === threadRef && m.text === "Are you there?"),
    );
    const sent = await waitFor("the delivery to be sent", () =>
      database.db.delivery.findFirst({ where: { id: delivery.id, status: "sent" } }),
    );
    expect(sent).toMatchObject({ error: null, reason: null });
    expect((await audits(delivery.id)).map((a) => a.action)).toEqual(["delivery.retry"]);
    // a message that did not fail is not sent twice
    const again = await postForm(
      http,
      agent,
      `/console/deliveries/${delivery.id}/retry`,
      {},
      { accept: "application/json", "x-csrf-token": agent.csrf },
    );
    expect(again.statusCode).toBe(409);
  });
});

describe("notes", () => {
  it("adds an internal note by the staff member, with no Delivery, once per form", async () => {
    const { conversationId } = await conversation();
    const formId = crypto.randomUUID();
    for (const _ of [1, 2])
      await post(agent, `/console/conversations/${conversationId}/note`, {
        text: "Customer is a VIP; offer free shipping.",
        formId,
      });
    const notes = await database.db.interaction.findMany({ where: { conversationId, internal: true } });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      author: "staff",
      staffUserId: agent.id,
      deliveryId: null,
      text: "Customer is a VIP; offer free shipping.",
    });
    expect(await database.db.delivery.count({ where: { conversationId } })).toBe(0);
    expect((await audits(conversationId)).map((a) => a.action)).toEqual(["conversation.note"]);
    expect(events).toContainEqual(
      expect.objectContaining({ conversationId, kind: "message", interactionId: notes[0]!.id }),
    );
    const refused = await post(marketer, `/console/conversations/${conversationId}/note`, {
      text: "x",
      formId: crypto.randomUUID(),
    });
    expect(refused.statusCode).toBe(403);
  });
});

describe("assigning, snoozing, reopening and closing", () => {
  it("assigns to me, to someone, and to nobody; never to a marketer", async () => {
    const { conversationId } = await conversation();
    const assignee = async () =>
      (await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).assigneeId;
    await post(agent, `/console/conversations/${conversationId}/assign`, { assignee: "me" });
    expect(await assignee()).toBe(agent.id);
    await post(agent, `/console/conversations/${conversationId}/assign`, { assignee: colleague.id });
    expect(await assignee()).toBe(colleague.id);
    await post(admin, `/console/conversations/${conversationId}/assign`, { assignee: "" });
    expect(await assignee()).toBeNull();
    const bad = await post(agent, `/console/conversations/${conversationId}/assign`, {
      assignee: marketer.id,
    });
    expect(bad.statusCode).toBe(400);
    expect(
      (await audits(conversationId)).map((a) => [
        a.action,
        (a.data as { assigneeId: string | null }).assigneeId,
      ]),
    ).toEqual([
      ["conversation.assign", agent.id],
      ["conversation.assign", colleague.id],
      ["conversation.assign", null],
    ]);
    expect(events.filter((e) => e.conversationId === conversationId && e.kind === "status")).toHaveLength(3);
  });

  it("snoozes until a time (out of the open list until then) and wakes up", async () => {
    const { conversationId } = await conversation();
    const open = async () =>
      (await getPage(http, agent, "/console/inbox")).body.includes(`conv-${conversationId}`);
    expect(await open()).toBe(true);
    await post(agent, `/console/conversations/${conversationId}/snooze`, { choice: "4h" });
    let row = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(row.snoozedUntil).toEqual(new Date(NOW + 4 * 3_600_000));
    expect(await open()).toBe(false);
    expect((await getPage(http, agent, "/console/inbox?status=snoozed")).body).toContain(
      `conv-${conversationId}`,
    );
    // a custom time is read in the staff member's time zone (UTC here: no rapport_tz cookie)
    await post(agent, `/console/conversations/${conversationId}/snooze`, {
      choice: "custom",
      at: "2026-03-12T08:30",
    });
    row = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(row.snoozedUntil).toEqual(new Date("2026-03-12T08:30:00Z"));
    const past = await post(agent, `/console/conversations/${conversationId}/snooze`, {
      choice: "custom",
      at: "2026-03-01T08:30",
    });
    expect(past.statusCode).toBe(400);
    await post(agent, `/console/conversations/${conversationId}/snooze`, { choice: "wake" });
    row = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(row.snoozedUntil).toBeNull();
    expect(await open()).toBe(true);
    expect((await audits(conversationId)).map((a) => a.action)).toEqual([
      "conversation.snooze",
      "conversation.snooze",
      "conversation.snooze",
    ]);
  });

  it("marks pending and reopens", async () => {
    const { conversationId } = await conversation();
    await post(agent, `/console/conversations/${conversationId}/status`, { status: "pending" });
    expect((await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).status).toBe(
      "pending",
    );
    await post(agent, `/console/conversations/${conversationId}/status`, { status: "open" });
    expect((await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } })).status).toBe(
      "open",
    );
    expect((await audits(conversationId)).map((a) => a.action)).toEqual([
      "conversation.status",
      "conversation.status",
    ]);
  });

  it("closes through closeConversation, which asks the customer for a rating on their channel", async () => {
    const { conversationId, threadRef, customerId } = await conversation();
    const response = await post(agent, `/console/conversations/${conversationId}/close`);
    expect(response.statusCode).toBe(303);
    const closed = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(closed).toMatchObject({ status: "closed", closedAt: new Date(NOW), handedOver: false });
    const survey = await database.db.survey.findFirstOrThrow({ where: { conversationId } });
    expect(survey).toMatchObject({ customerId, channel: "telegram" });
    const question = await database.db.delivery.findUniqueOrThrow({
      where: { key: `r/survey/${survey.id}` },
    });
    expect(question).toMatchObject({ channel: "telegram", recipient: threadRef });
    startWorker();
    const asked = await waitFor("the rating question on Telegram", () =>
      telegram.sent.find((m) => String(m.chat.id) === threadRef),
    );
    expect(asked.text).toMatch(/rate this conversation from 1/);
    expect((await audits(conversationId)).map((a) => [a.action, a.data])).toEqual([
      ["conversation.close", { survey: true }],
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ conversationId, kind: "status", status: "closed" }),
    );
  });
});

describe("presence", () => {
  it("tells the others who is viewing and typing, typing at most once per 3 seconds", async () => {
    const { conversationId } = await conversation();
    const before = events.length;
    const ping = (state: string) =>
      post(agent, `/console/conversations/${conversationId}/presence`, { state });
    expect((await ping("viewing")).statusCode).toBe(204);
    await ping("typing");
    await ping("typing");
    clock.advance(3_000);
    await ping("typing");
    clock.set(NOW);
    await ping("left");
    expect(events.slice(before).map((e) => [e.kind, e.state, e.staffName])).toEqual([
      ["presence", "viewing", "Ayu"],
      ["typing", undefined, "Ayu"],
      ["typing", undefined, "Ayu"],
      ["presence", "left", "Ayu"],
    ]);
    expect(await database.db.auditLog.count({ where: { targetId: conversationId } })).toBe(0);
  });
});

describe("every action", () => {
  it("needs the session's CSRF token", async () => {
    const { conversationId } = await conversation();
    const delivery = await database.db.delivery.create({
      data: {
        key: `r/staff/${crypto.randomUUID()}`,
        kind: "transactional",
        customerId: (await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } }))
          .customerId,
        conversationId,
        channel: "telegram",
        status: "failed",
      },
    });
    const urls = ["reply", "note", "assign", "snooze", "status", "close", "presence"].map(
      (action) => `/console/conversations/${conversationId}/${action}`,
    );
    urls.push(`/console/deliveries/${delivery.id}/retry`);
    for (const url of urls) {
      const fields = {
        text: "x",
        formId: crypto.randomUUID(),
        assignee: "me",
        choice: "1h",
        status: "pending",
        state: "viewing",
      };
      const missing = await postForm(http, agent, url, fields);
      expect(missing.statusCode, url).toBe(403);
      const wrong = await postForm(http, agent, url, { ...fields, _csrf: "forged" });
      expect(wrong.statusCode, url).toBe(403);
    }
    const untouched = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
    expect(untouched).toMatchObject({ status: "open", assigneeId: null, snoozedUntil: null });
    expect(await database.db.delivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({
      status: "failed",
    });
    expect(await database.db.auditLog.count({ where: { targetId: conversationId } })).toBe(0);
  });
});
