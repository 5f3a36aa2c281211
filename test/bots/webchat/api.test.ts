import { randomUUID } from "node:crypto";
import { transformSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import type { InboundMessage } from "../../../bots/inbound.ts";
import type { BotReply } from "../../../bots/reply.ts";
import {
  buildWidgetScript,
  createWebchatChannel,
  registerWebchat,
  visitorToken,
} from "../../../bots/webchat/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { useTestDatabase } from "../../support/db.ts";

// onMessage is the real captureMessage on a real database: what these tests see stored is what the
// conversation core would receive. Auto-replies, commands and merging are the core's, not asserted here.
const SECRET = "webchat-test-secret-0123456789";
const database = useTestDatabase();
const clock = manualClock(Date.UTC(2026, 4, 1, 9));
const received: InboundMessage[] = [];
// what the web chat queues for delivery (the verification code email); verify.test.ts sends it for real
const sent: BotReply[] = [];
const app = createHttpServer({ log: silentLogger });
let channel: ReturnType<typeof createWebchatChannel>;

beforeAll(async () => {
  const hub = await registerWebchat(app, {
    db: database.db,
    async onMessage(message) {
      received.push(message);
      await captureMessage(database.db, message);
    },
    sendReply: async (reply) => void sent.push(reply),
    secret: SECRET,
    brandName: "Acme <Shop>",
    publicUrl: "https://chat.acme.example",
    log: silentLogger,
    clock,
    limits: { sessionsPerMinute: 1_000, messagesPerMinute: 1_000 }, // limits.test.ts tests them
  });
  channel = createWebchatChannel(hub);
  await app.ready();
});
afterAll(() => app.close());

const json = (method: "GET" | "POST", url: string, body?: unknown) =>
  app.inject({
    method,
    url,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, payload: JSON.stringify(body) }),
  });

async function newVisitor(locale = "pl-PL"): Promise<{ visitorId: string; token: string }> {
  const response = await json("POST", "/webchat/api/session", { locale });
  expect(response.statusCode).toBe(201);
  return response.json();
}

const say = (visitor: { visitorId: string; token: string }, clientMessageId: string, text: string) =>
  json("POST", "/webchat/api/messages", { ...visitor, clientMessageId, text, locale: "pl-PL" });

describe("POST /webchat/api/session", () => {
  it("creates an anonymous visitor with a web chat identity, and resumes it with its token", async () => {
    const visitor = await newVisitor();
    expect(visitor.visitorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(visitor.token).toBe(visitorToken(SECRET, visitor.visitorId));
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "webchat", externalId: visitor.visitorId } },
      include: { customer: true },
    });
    expect(identity.customer).toMatchObject({ locale: "pl", email: null });

    const resumed = await json("POST", "/webchat/api/session", visitor);
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toEqual({ ...visitor, resumed: true });
  });

  it("keeps the browser's time zone on the new customer, and ignores one the runtime does not know", async () => {
    const customerOf = async (visitorId: string) =>
      (
        await database.db.identity.findUniqueOrThrow({
          where: { channel_externalId: { channel: "webchat", externalId: visitorId } },
          include: { customer: true },
        })
      ).customer;
    const warsaw = await json("POST", "/webchat/api/session", { locale: "pl-PL", timezone: "Europe/Warsaw" });
    expect(warsaw.statusCode).toBe(201);
    expect(await customerOf(warsaw.json().visitorId)).toMatchObject({ timezone: "Europe/Warsaw" });
    const bogus = await json("POST", "/webchat/api/session", { timezone: "Mars/Olympus_Mons" });
    expect(bogus.statusCode).toBe(201);
    expect(await customerOf(bogus.json().visitorId)).toMatchObject({ timezone: null });
  });

  it("refuses to resume a visitor with another visitor's token", async () => {
    const [a, b] = [await newVisitor(), await newVisitor()];
    const response = await json("POST", "/webchat/api/session", { visitorId: a.visitorId, token: b.token });
    expect(response.statusCode).toBe(401);
  });

  it("gives a new visitor to a browser whose visitor no longer exists", async () => {
    const gone = randomUUID();
    const response = await json("POST", "/webchat/api/session", {
      visitorId: gone,
      token: visitorToken(SECRET, gone),
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().visitorId).not.toBe(gone);
  });
});

describe("POST /webchat/api/messages", () => {
  it("stores a visitor's message on their identity, customer and conversation", async () => {
    const visitor = await newVisitor();
    const response = await say(visitor, "c-1", "  Dzień dobry, gdzie moja paczka?  ");
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: "c-1", at: "2026-05-01T09:00:00.000Z" });

    const interaction = await database.db.interaction.findUniqueOrThrow({
      where: { channel_externalId: { channel: "webchat", externalId: `${visitor.visitorId}:c-1` } },
      include: { conversation: true, customer: { include: { identities: true } } },
    });
    expect(interaction).toMatchObject({
      direction: "inbound",
      author: "customer",
      text: "Dzień dobry, gdzie moja paczka?",
    });
    expect(interaction.sentAt.toISOString()).toBe("2026-05-01T09:00:00.000Z");
    expect(interaction.conversation).toMatchObject({ channel: "webchat", threadRef: visitor.visitorId });
    expect(interaction.customer.identities.map((i) => [i.channel, i.externalId])).toEqual([
      ["webchat", visitor.visitorId],
    ]);
    expect(received.at(-1)).toMatchObject({
      channel: "webchat",
      sender: { externalId: visitor.visitorId, locale: "pl-PL" },
      threadRef: visitor.visitorId,
    });
  });

  it("stores a retried POST with the same clientMessageId once", async () => {
    const visitor = await newVisitor();
    const responses = [await say(visitor, "retry-1", "hello"), await say(visitor, "retry-1", "hello")];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200]);
    const stored = await database.db.interaction.count({
      where: { channel: "webchat", externalId: `${visitor.visitorId}:retry-1` },
    });
    expect(stored).toBe(1);
  });

  it("refuses a wrong token with 401 and stores nothing", async () => {
    const [visitor, other] = [await newVisitor(), await newVisitor()];
    const response = await say({ visitorId: visitor.visitorId, token: other.token }, "x-1", "hi");
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe("invalid_token");
    expect(await database.db.interaction.count({ where: { externalId: `${visitor.visitorId}:x-1` } })).toBe(
      0,
    );
  });

  it("answers 404 for a visitor this server never created", async () => {
    const stranger = randomUUID();
    const response = await say({ visitorId: stranger, token: visitorToken(SECRET, stranger) }, "s-1", "hi");
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toBe("unknown_visitor");
  });

  it("refuses a malformed body with 400 naming each field", async () => {
    const visitor = await newVisitor();
    const response = await json("POST", "/webchat/api/messages", {
      visitorId: visitor.visitorId,
      token: visitor.token,
      clientMessageId: "has spaces",
      text: "   ",
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe("invalid_body");
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(["clientMessageId", "text"]);

    const noId = await json("POST", "/webchat/api/messages", { token: "t", clientMessageId: "a", text: "b" });
    expect(noId.json().message).toMatch(/^visitorId: /);
    const broken = await app.inject({
      method: "POST",
      url: "/webchat/api/messages",
      headers: { "content-type": "application/json" },
      payload: '{"visitorId": ',
    });
    expect(broken.statusCode).toBe(400);
  });
});

describe("GET /webchat/api/history", () => {
  it("returns what this visitor wrote and what was sent to this visitor, oldest first", async () => {
    const visitor = await newVisitor();
    clock.set(Date.UTC(2026, 4, 2, 10, 0));
    await say(visitor, "h-1", "Czy macie rozmiar M?");
    const customerId = (await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "webchat", externalId: visitor.visitorId } },
    }))!.customerId;
    const conversation = await database.db.conversation.findFirstOrThrow({ where: { customerId } });
    // what the deliverer stores after a send: the channel's providerId, prefixed by the channel
    const { providerId } = await channel.send(
      { deliveryId: randomUUID(), to: visitor.visitorId, text: "Tak, mamy M." },
      "r/staff/h-1",
    );
    // as the deliverer records a send: the Delivery addressed to the visitor, then its Interaction
    const delivery = (recipient: string) =>
      database.db.delivery.create({
        data: {
          key: `r/staff/${randomUUID()}`,
          kind: "transactional",
          customerId,
          channel: "webchat",
          recipient,
          status: "sent",
        },
      });
    const outbound = {
      customerId,
      conversationId: conversation.id,
      channel: "webchat" as const,
      direction: "outbound" as const,
      author: "staff" as const,
    };
    await database.db.interaction.createMany({
      data: [
        {
          ...outbound,
          externalId: `webchat:${providerId}`,
          text: "Tak, mamy M.",
          sentAt: new Date(Date.UTC(2026, 4, 2, 10, 1)),
          deliveryId: (await delivery(visitor.visitorId)).id,
        },
        {
          ...outbound,
          externalId: `webchat:${randomUUID()}`,
          text: "An answer to another browser of this customer",
          sentAt: new Date(Date.UTC(2026, 4, 2, 10, 1)),
          deliveryId: (await delivery(randomUUID())).id,
        },
        {
          ...outbound,
          text: "internal: VIP, be nice",
          internal: true,
          sentAt: new Date(Date.UTC(2026, 4, 2, 10, 1)),
        },
        {
          ...outbound,
          channel: "email",
          text: "Your receipt",
          sentAt: new Date(Date.UTC(2026, 4, 2, 10, 1)),
        },
      ],
    });
    clock.set(Date.UTC(2026, 4, 2, 10, 2));
    await say(visitor, "h-2", "Dziękuję!");

    const response = await json(
      "GET",
      `/webchat/api/history?visitorId=${visitor.visitorId}&token=${encodeURIComponent(visitor.token)}`,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json().messages).toEqual([
      {
        id: "h-1",
        direction: "inbound",
        author: "customer",
        text: "Czy macie rozmiar M?",
        at: "2026-05-02T10:00:00.000Z",
      },
      {
        id: providerId,
        direction: "outbound",
        author: "staff",
        text: "Tak, mamy M.",
        at: "2026-05-02T10:01:00.000Z",
      },
      {
        id: "h-2",
        direction: "inbound",
        author: "customer",
        text: "Dziękuję!",
        at: "2026-05-02T10:02:00.000Z",
      },
    ]);
  });

  it("refuses a wrong token with 401 and a missing one with 400", async () => {
    const [visitor, other] = [await newVisitor(), await newVisitor()];
    const wrong = await json(
      "GET",
      `/webchat/api/history?visitorId=${visitor.visitorId}&token=${other.token}`,
    );
    expect(wrong.statusCode).toBe(401);
    const missing = await json("GET", `/webchat/api/history?visitorId=${visitor.visitorId}`);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: "invalid_query", issues: [{ path: "token" }] });
  });
});

describe("POST /webchat/api/identify", () => {
  it("keeps the normalised email as the visitor's unverified claim and sends a code there", async () => {
    const visitor = await newVisitor();
    const response = await json("POST", "/webchat/api/identify", {
      ...visitor,
      email: " Ana.Nowak@Example.COM ",
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ verification: "sent" });
    expect(sent.at(-1)).toMatchObject({ channel: "email", to: "ana.nowak@example.com", locale: "pl" });
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "webchat", externalId: visitor.visitorId } },
      include: { customer: { include: { contactClaims: true } } },
    });
    expect(identity.customer.email).toBeNull();
    expect(identity.customer.contactClaims).toMatchObject([
      { kind: "email", value: "ana.nowak@example.com", source: "webchat_identify", verifiedAt: null },
    ]);
  });

  it("refuses a bad email with 400 and a wrong token with 401, claiming and sending nothing", async () => {
    const [visitor, other] = [await newVisitor(), await newVisitor()];
    const before = sent.length;
    const bad = await json("POST", "/webchat/api/identify", { ...visitor, email: "not-an-email" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].path).toBe("email");
    const wrong = await json("POST", "/webchat/api/identify", {
      visitorId: visitor.visitorId,
      token: other.token,
      email: "a@example.com",
    });
    expect(wrong.statusCode).toBe(401);
    expect(sent.length).toBe(before);
    expect(await database.db.contactClaim.count({ where: { value: "a@example.com" } })).toBe(0);
  });
});

describe("widget and demo page", () => {
  it("serves the widget as JavaScript with a long cache and revalidation", async () => {
    const response = await app.inject({ method: "GET", url: "/webchat/widget.js" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(response.headers["cache-control"]).toMatch(/public, max-age=86400/);
    expect(response.body).toContain("startRapportWebchat");
    const again = await app.inject({
      method: "GET",
      url: "/webchat/widget.js",
      headers: { "if-none-match": String(response.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it("is plain ES2019, so it runs unchanged in any browser of the last five years", () => {
    const script = buildWidgetScript();
    // esbuild rewrites any newer syntax (?., ??, class fields, ||=) when targeting es2019: nothing may change
    const lowered = transformSync(script, { loader: "js", target: "es2019" }).code;
    expect(lowered).toBe(transformSync(script, { loader: "js", target: "esnext" }).code);
    expect(script).not.toMatch(/innerHTML|insertAdjacentHTML|outerHTML|document\.write/);
  });

  it("serves a demo page that embeds the widget in the asked locale, with the brand escaped", async () => {
    const response = await app.inject({ method: "GET", url: "/webchat/demo?locale=pl" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(response.body).toContain("<h1>Chat with Acme &lt;Shop&gt;</h1>");
    expect(response.body).toMatch(
      /<script src="\/webchat\/widget\.js\?v=\w+" data-brand="Acme &lt;Shop&gt;" data-locale="pl" async>/,
    );
    expect(response.body).toContain("https://chat.acme.example/webchat/widget.js");
  });

  it("answers a CORS preflight so the widget works from the brand's own site", async () => {
    const response = await app.inject({
      method: "OPTIONS",
      url: "/webchat/api/messages",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    expect(response.statusCode).toBe(204);
    expect(response.headers["access-control-allow-origin"]).toBe("*");
    expect(response.headers["access-control-allow-headers"]).toContain("content-type");
    const refused = await say({ visitorId: randomUUID(), token: "nope" }, "c", "hi");
    expect(refused.headers["access-control-allow-origin"]).toBe("*");
  });
});
