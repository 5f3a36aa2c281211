import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { registerWebchat } from "../../../bots/webchat/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";

// The limits are counted in real Redis, as two `rapport start` processes behind a load balancer share them.
const database = useTestDatabase();
const redis = useTestRedis();
const app = createHttpServer({ log: silentLogger });

beforeAll(async () => {
  await registerWebchat(app, {
    db: database.db,
    onMessage: async (message) => void (await captureMessage(database.db, message)),
    sendReply: async () => {},
    secret: "webchat-limits-secret-0123456789",
    brandName: "Acme",
    publicUrl: "https://chat.acme.example",
    log: silentLogger,
    clock: manualClock(Date.UTC(2026, 10, 23, 9)),
    limits: { sessionsPerMinute: 3, messagesPerMinute: 4 },
    redis: redis.redis,
    redisPrefix: redis.prefix,
  });
  await app.ready();
});
afterAll(() => app.close());

const post = (url: string, body: unknown, remoteAddress = "203.0.113.7") =>
  app.inject({
    method: "POST",
    url,
    remoteAddress,
    headers: { "content-type": "application/json" },
    payload: JSON.stringify(body),
  });

describe("web chat rate limits", () => {
  it("refuses a fourth new session a minute from one address, with Retry-After, and not another address", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await post("/webchat/api/session", { locale: "en" })).statusCode);
    expect(statuses).toEqual([201, 201, 201, 429]);

    const refused = await post("/webchat/api/session", { locale: "en" });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({
      error: "rate_limited",
      message: expect.stringMatching(/try again in/),
    });
    expect(await database.db.identity.count({ where: { channel: "webchat" } })).toBe(3);

    // a client cannot pick another address with X-Forwarded-For: no proxy is trusted unless TRUST_PROXY says so
    const spoofed = await app.inject({
      method: "POST",
      url: "/webchat/api/session",
      remoteAddress: "203.0.113.7",
      headers: { "content-type": "application/json", "x-forwarded-for": "192.0.2.99" },
      payload: "{}",
    });
    expect(spoofed.statusCode).toBe(429);
    expect((await post("/webchat/api/session", { locale: "en" }, "198.51.100.20")).statusCode).toBe(201);
    const keys = await redis.redis.keys(`${redis.prefix}:ratelimit:webchat:*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it("counts messages per visitor: one chatty visitor is held back, the next visitor on the same address is not", async () => {
    const first = (await post("/webchat/api/session", {}, "192.0.2.1")).json();
    const second = (await post("/webchat/api/session", {}, "192.0.2.1")).json();
    const say = (visitor: { visitorId: string; token: string }, n: number) =>
      post(
        "/webchat/api/messages",
        { ...visitor, clientMessageId: `00000000-0000-4000-8000-00000000000${n}`, text: `hello ${n}` },
        "192.0.2.1",
      );
    const statuses = [];
    for (let n = 0; n < 5; n++) statuses.push((await say(first, n)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    expect((await say(second, 9)).statusCode).toBe(200);

    const visitor = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "webchat", externalId: first.visitorId } },
    });
    expect(await database.db.interaction.count({ where: { customerId: visitor.customerId } })).toBe(4);
  });
});
