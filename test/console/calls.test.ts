import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureEvent } from "../../bots/index.ts";
import { createApiToken, revokeApiToken } from "../../lib/api-tokens.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { openStream, signInOver } from "./calls-support.ts";
import { addStaff, BROWSER, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp;
let caller: string;
let writer: string;
let reader: string;
let revoked: string;
let ola: string;
const staff: Record<
  "agent" | "other" | "marketer",
  { id: string; email: string; cookie: string; csrf: string }
> = {} as never;

const postCall = (body: unknown, token: string | null = caller, raw?: string) =>
  fetch(`${app.url}/api/calls`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token !== null && { authorization: `Bearer ${token}` }),
    },
    body: raw ?? JSON.stringify(body),
  });

beforeAll(async () => {
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    workers: false,
  });
  const db = database.db;
  caller = (await createApiToken(db, { name: "PBX", scopes: ["calls:write"], createdBy: "cli:test" })).token;
  reader = (await createApiToken(db, { name: "lookup", scopes: ["customers:read"], createdBy: "cli:test" }))
    .token;
  writer = (await createApiToken(db, { name: "shop", scopes: ["events:write"], createdBy: "cli:test" }))
    .token;
  const old = await createApiToken(db, { name: "old PBX", scopes: ["calls:write"], createdBy: "cli:test" });
  await revokeApiToken(db, old.prefix, "cli:test", new Date());
  revoked = old.token;
  ola = (
    await captureEvent(
      db,
      {
        type: "purchase",
        orderId: "PL-9",
        occurredAt: "2026-11-20T10:00:00Z",
        customer: { email: "ola.calls@example.com", name: "Ola Kowalska", phone: "+48601234999" },
        total: "59.00",
        currency: "PLN",
        items: [{ sku: "BEANS", name: "Beans 1 kg", quantity: 1, price: "59.00" }],
        properties: {},
      },
      new Date("2026-11-20T10:00:00Z"),
    )
  ).customerId;
  for (const [key, role] of [
    ["agent", "agent"],
    ["other", "agent"],
    ["marketer", "marketer"],
  ] as const) {
    const email = uniqueEmail(key);
    const id = await addStaff(db, email, role);
    staff[key] = { id, email, ...(await signInOver(app.url!, email)) };
  }
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe("POST /api/calls", () => {
  it("stores a call from a token with calls:write: one row per callId, forward only, the duration when it ends", async () => {
    const callId = `pbx-${randomUUID()}`;
    const ringing = await postCall({ from: "+48601234999", to: "+48221234567", callId, state: "ringing" });
    expect(ringing.status).toBe(201);
    const first = await ringing.json();
    expect(first).toMatchObject({ customerId: ola, state: "ringing", newCustomer: false, duplicate: false });
    const answered = await postCall({ from: "+48601234999", to: "+48221234567", callId, state: "answered" });
    expect(answered.status).toBe(200);
    const ended = await postCall({
      from: "+48601234999",
      to: "+48221234567",
      callId,
      state: "ended",
      durationSeconds: 61,
    });
    expect(await ended.json()).toMatchObject({
      id: first.id,
      state: "ended",
      durationSeconds: 61,
      duplicate: false,
    });
    const again = await postCall({
      from: "+48601234999",
      to: "+48221234567",
      callId,
      state: "ended",
      durationSeconds: 61,
    });
    expect(await again.json()).toMatchObject({ id: first.id, duplicate: true });
    const rows = await database.db.interaction.findMany({
      where: { channel: "phone", externalId: `api:${callId}` },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toContain("1:01");
    expect(rows[0]!.customerId).toBe(ola);
  });

  it("refuses no token and a revoked one (401), a token without calls:write (403); stores nothing", async () => {
    const before = await database.db.interaction.count();
    const body = { from: "+48601234999", to: "+48221234567", callId: `x-${randomUUID()}`, state: "ringing" };
    expect((await postCall(body, null)).status).toBe(401);
    const old = await postCall(body, revoked);
    expect(old.status).toBe(401);
    expect((await old.json()).message).toMatch(/revoked/);
    for (const token of [reader, writer]) {
      const wrong = await postCall(body, token);
      expect(wrong.status).toBe(403);
      expect(wrong.headers.get("www-authenticate")).toMatch(/scope="calls:write"/);
    }
    expect(await database.db.interaction.count()).toBe(before);
  });

  it("answers 400 naming the field of a bad body, and stores nothing", async () => {
    const before = await database.db.interaction.count();
    const good = { from: "+48601234999", to: "+48221234567", callId: "c-1", state: "ringing" };
    for (const [body, field] of [
      [{ ...good, from: "0601 234 999" }, "from"],
      [{ ...good, from: undefined }, "from"],
      [{ ...good, state: "on-hold" }, "state"],
      [{ ...good, callId: "" }, "callId"],
      [{ ...good, durationSeconds: -1 }, "durationSeconds"],
      [{ ...good, durationSeconds: 1.5 }, "durationSeconds"],
      [{ ...good, agent: 42 }, "agent"],
      [[good], "(body)"],
    ] as const) {
      const response = await postCall(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect((await response.json()).issues[0].path, JSON.stringify(body)).toBe(field);
    }
    expect(await database.db.interaction.count()).toBe(before);
  });
});

describe("the screen pop", () => {
  it("reaches the named agent's console alone; an unnamed call every agent's but no marketer's", async () => {
    const streams = {
      agent: await openStream(`${app.url}/console/events`, staff.agent.cookie),
      other: await openStream(`${app.url}/console/events`, staff.other.cookie),
      marketer: await openStream(`${app.url}/console/events`, staff.marketer.cookie),
    };
    try {
      const named = await postCall({
        from: "+48601234999",
        to: "+48221234567",
        callId: `n-${randomUUID()}`,
        state: "ringing",
        agent: staff.agent.email.toUpperCase(),
      });
      const { id: namedId, conversationId } = await named.json();
      const heard = await streams.agent.next((e) => e.kind === "call" && e.interactionId === namedId);
      expect(heard).toEqual({
        conversationId,
        interactionId: namedId,
        kind: "call",
        status: "ringing",
        forStaffUserId: staff.agent.id,
      });
      const unnamed = await postCall({
        from: "+48601234999",
        to: "+48221234567",
        callId: `u-${randomUUID()}`,
        state: "ringing",
      });
      const { id: unnamedId } = await unnamed.json();
      // the barrier: the later, unnamed call reached every agent, so the named one had its chance to
      await streams.agent.next((e) => e.kind === "call" && e.interactionId === unnamedId);
      await streams.other.next((e) => e.kind === "call" && e.interactionId === unnamedId);
      // the thread and inbox hear the call as a message in its conversation, as every console does
      await streams.marketer.next((e) => e.kind === "message" && e.interactionId === unnamedId);
      expect(
        streams.other
          .events()
          .filter((e) => e.kind === "call")
          .map((e) => e.interactionId),
      ).toEqual([unnamedId]);
      expect(streams.marketer.events().filter((e) => e.kind === "call")).toHaveLength(0);
    } finally {
      for (const stream of Object.values(streams)) stream.close();
    }
  });

  it("shows who is calling, what they bought and their open conversations; an unknown number as a new caller", async () => {
    const known = await (
      await postCall({
        from: "+48601234999",
        to: "+48221234567",
        callId: `k-${randomUUID()}`,
        state: "ringing",
      })
    ).json();
    const pop = await fetch(`${app.url}/console/calls/${known.id}/pop`, {
      headers: { accept: "*/*", cookie: staff.agent.cookie },
    });
    expect(pop.status).toBe(200);
    const html = await pop.text();
    expect(html).toContain("Ola Kowalska");
    expect(html).toContain("Beans 1 kg");
    expect(html).toContain("Incoming call");
    expect(html).toContain(`/console/customers/${ola}`);
    expect(html).toContain(`/console/conversations/${known.conversationId}`);

    const stranger = await (
      await postCall({
        from: "+6281299887766",
        to: "+48221234567",
        callId: `s-${randomUUID()}`,
        state: "ringing",
      })
    ).json();
    expect(stranger.newCustomer).toBe(true);
    const strangerPop = await (
      await fetch(`${app.url}/console/calls/${stranger.id}/pop`, {
        headers: { accept: "*/*", cookie: staff.agent.cookie },
      })
    ).text();
    expect(strangerPop).toContain("New caller +6281299887766");
    expect(strangerPop).toContain(`/console/customers/${stranger.customerId}`);
    // the inbox names the new caller by their number
    const inbox = await (
      await fetch(`${app.url}/console/inbox`, { headers: { ...BROWSER, cookie: staff.agent.cookie } })
    ).text();
    expect(inbox).toContain('<span class="inbox-name">+6281299887766</span>');
    // not signed in: no pop
    expect(
      (await fetch(`${app.url}/console/calls/${known.id}/pop`, { headers: { accept: "*/*" } })).status,
    ).toBe(401);
  });

  it("takes a note on the call's conversation; a reply or a closing survey there sends nothing (a call sends nothing back)", async () => {
    const call = await (
      await postCall({
        from: "+48601234999",
        to: "+48221234567",
        callId: `note-${randomUUID()}`,
        state: "ended",
        durationSeconds: 30,
      })
    ).json();
    const form = (fields: Record<string, string>) => ({
      method: "POST",
      redirect: "manual" as const,
      headers: {
        ...BROWSER,
        "content-type": "application/x-www-form-urlencoded",
        cookie: staff.agent.cookie,
      },
      body: new URLSearchParams({ _csrf: staff.agent.csrf, formId: randomUUID(), ...fields }).toString(),
    });
    const note = await fetch(
      `${app.url}/console/conversations/${call.conversationId}/note`,
      form({ text: "Wants a refund" }),
    );
    expect(note.status).toBeLessThan(400);
    const notes = await database.db.interaction.findMany({
      where: { conversationId: call.conversationId, internal: true },
    });
    expect(notes.map((n) => n.text)).toContain("Wants a refund");
    const deliveries = await database.db.delivery.count();
    await fetch(`${app.url}/console/conversations/${call.conversationId}/reply`, form({ text: "Hello?" }));
    expect(await database.db.delivery.count()).toBe(deliveries);
    // closing it asks no rating: there is no way to send one
    const closed = await fetch(`${app.url}/console/conversations/${call.conversationId}/close`, form({}));
    expect(closed.status).toBeLessThan(400);
    expect(
      (await database.db.conversation.findUniqueOrThrow({ where: { id: call.conversationId } })).status,
    ).toBe("closed");
    expect(await database.db.delivery.count()).toBe(deliveries);
    expect(await database.db.survey.count({ where: { conversationId: call.conversationId } })).toBe(0);
  });
});
