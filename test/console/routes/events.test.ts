import type { AddressInfo } from "node:net";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLiveHub, type LiveHub, onInboundStored } from "../../../console/index.ts";
import { registerLiveEvents } from "../../../console/routes/events.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { createRedis } from "../../../lib/redis.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";
import { openStream } from "../calls-support.ts";
import { addConversation, startInboxConsole } from "../inbox/support.ts";
import { addStaff, type Browser, signIn, uniqueEmail } from "../support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
let http: FastifyInstance;
let live: LiveHub;
let base: string;
let agent: Browser;
// another process (the bots of `rapport start` elsewhere, a `rapport worker`): its own Redis connection and hub
const otherRedis = createRedis(redis.url);
let otherHub: LiveHub;

beforeAll(async () => {
  ({ http, live } = await startInboxConsole({ db: database.db, redis: redis.redis, prefix: redis.prefix }));
  await http.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  const email = uniqueEmail("agent");
  await addStaff(database.db, email, "agent");
  agent = await signIn(http, email);
  otherHub = createLiveHub({ redis: otherRedis, prefix: redis.prefix, log: silentLogger });
});
afterAll(async () => {
  await otherHub?.close();
  otherRedis.disconnect();
  await http?.close();
  await live?.close();
});

describe("GET /console/events", () => {
  it("streams an inbound message stored by another process within a second", async () => {
    const stream = await openStream(`${base}/console/events`, agent.cookie);
    try {
      expect(stream.response.statusCode).toBe(200);
      expect(stream.response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
      await live.listening();
      const { conversationId } = await addConversation(database.db, {
        lastMessageAt: new Date(),
        snoozedUntil: new Date(Date.now() + 3_600_000),
      });
      const interaction = await database.db.interaction.findFirst({ where: { conversationId } });
      const interactionId = interaction?.id ?? crypto.randomUUID();
      const started = Date.now();
      // what the responder's onStored does in the other process (cli/app.ts wires it)
      onInboundStored({ db: database.db, live: otherHub, log: silentLogger })({
        interactionId,
        conversationId,
      });
      const event = await stream.next((e) => e.conversationId === conversationId, 1_000);
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(event).toEqual({ conversationId, kind: "message", interactionId });
      // the customer wrote again: the snoozed conversation is back in the open list
      const woken = await database.db.conversation.findUniqueOrThrow({ where: { id: conversationId } });
      expect(woken.snoozedUntil).toBeNull();
    } finally {
      stream.close();
    }
  });

  it("streams what this process publishes too, once", async () => {
    const stream = await openStream(`${base}/console/events`, agent.cookie);
    try {
      const conversationId = crypto.randomUUID();
      live.publish({ conversationId, kind: "status", status: "assigned" });
      // a barrier: published on the same Redis connection after the event's own relay, so it comes back after
      // that relay would have (were this process's own events not told apart)
      const barrier = crypto.randomUUID();
      await redis.redis.publish(
        `${redis.prefix}:console:live`,
        JSON.stringify({
          origin: "barrier",
          message: { conversationId: barrier, kind: "status", status: "open" },
        }),
      );
      await stream.next((e) => e.conversationId === barrier);
      expect(stream.text().split(conversationId).length - 1).toBe(1);
    } finally {
      stream.close();
    }
  });

  it("is for signed-in staff only", async () => {
    const stream = await openStream(`${base}/console/events`);
    expect(stream.response.statusCode).toBe(401);
    stream.close();
  });
});

describe("the live event stream", () => {
  it("sends heartbeats, skips what it cannot read from Redis, and ends when the server closes", async () => {
    const hub = createLiveHub({ redis: redis.redis, prefix: redis.prefix, log: silentLogger });
    const app = Fastify();
    registerLiveEvents(app, hub, { heartbeatMs: 50 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const stream = await openStream(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/events`);
    await hub.listening();
    await otherRedis.publish(
      `${redis.prefix}:console:live`,
      JSON.stringify({ origin: "x", message: { kind: "bogus" } }),
    );
    const conversationId = crypto.randomUUID();
    otherHub.publish({
      conversationId,
      kind: "typing",
      staffUserId: crypto.randomUUID(),
      staffName: "Bagus",
    });
    // the unreadable message went out on the same connection before this event: it was read and skipped
    await stream.next((e) => e.conversationId === conversationId);
    expect(stream.text()).not.toContain("bogus");
    await waitFor("a heartbeat", () => stream.text().includes(": heartbeat\n\n"), 2_000);
    const ended = new Promise((resolve) => stream.response.on("end", resolve));
    await app.close();
    await ended;
    await hub.close();
  });
});
