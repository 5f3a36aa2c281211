import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import { createWebchatChannel, registerWebchat, type WebchatHub } from "../../../bots/webchat/index.ts";
import { systemClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { useTestDatabase } from "../../support/db.ts";
import { waitFor } from "../../support/wait.ts";

// Real sockets: app.inject cannot hold a response open, and SSE is exactly that.
const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });
let hub: WebchatHub;
let channel: ReturnType<typeof createWebchatChannel>;
let base: string;

beforeAll(async () => {
  hub = await registerWebchat(app, {
    db: database.db,
    onMessage: async (message) => {
      await captureMessage(database.db, message);
    },
    sendReply: async () => undefined,
    secret: "webchat-stream-secret",
    brandName: "Acme",
    publicUrl: "http://127.0.0.1",
    log: silentLogger,
    clock: systemClock,
    heartbeatMs: 100,
  });
  channel = createWebchatChannel(hub);
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(() => app.close());

interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** An open SSE response, parsed frame by frame as bytes arrive. */
async function openStream(visitor: { visitorId: string; token: string }, lastEventId?: string) {
  const controller = new AbortController();
  const query = new URLSearchParams({ visitorId: visitor.visitorId, token: visitor.token });
  const response = await fetch(`${base}/webchat/api/events?${query}`, {
    headers: lastEventId ? { "last-event-id": lastEventId } : {},
    signal: controller.signal,
  });
  const frames: SseFrame[] = [];
  let buffer = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    const reader = response.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame: SseFrame = {};
        for (const line of buffer.slice(0, end).split("\n")) {
          if (line.startsWith(":")) frame.comment = line.slice(1).trim();
          const match = /^(id|event|data): (.*)$/.exec(line);
          if (match) frame[match[1] as "id" | "event" | "data"] = match[2];
        }
        frames.push(frame);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
      }
    }
  })().catch(() => undefined); // aborted by close()
  const messages = () =>
    frames.filter((f) => f.event === "message").map((f) => ({ sseId: f.id, ...JSON.parse(f.data!) }));
  return {
    response,
    frames,
    messages,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

async function newVisitor() {
  const response = await fetch(`${base}/webchat/api/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  return (await response.json()) as { visitorId: string; token: string };
}

const send = (visitorId: string, text: string, key: string = randomUUID()) =>
  channel.send({ deliveryId: randomUUID(), to: visitorId, text }, key);

describe("GET /webchat/api/events", () => {
  it("delivers a message sent through the channel to the visitor's open stream", async () => {
    const visitor = await newVisitor();
    const stream = await openStream(visitor);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await waitFor("the stream to be subscribed", () => hub.streamCount(visitor.visitorId) === 1);

    const { providerId } = await send(
      visitor.visitorId,
      "Your parcel left today 📦\nTrack it at acme.example",
    );
    const [message] = await waitFor("the pushed message", () =>
      stream.messages().length > 0 ? stream.messages() : undefined,
    );
    expect(message).toMatchObject({
      sseId: providerId,
      id: providerId,
      text: "Your parcel left today 📦\nTrack it at acme.example",
    });
    expect(Date.parse(message.at)).not.toBeNaN();
    await stream.close();
    await waitFor("the stream to be released", () => hub.streamCount(visitor.visitorId) === 0);
  });

  it("pushes one message once, however often the same idempotency key is sent", async () => {
    const visitor = await newVisitor();
    const stream = await openStream(visitor);
    await waitFor("the stream to be subscribed", () => hub.streamCount(visitor.visitorId) === 1);
    const first = await send(visitor.visitorId, "once", "delivery-key-1");
    const again = await send(visitor.visitorId, "once", "delivery-key-1");
    await send(visitor.visitorId, "next", "delivery-key-2");
    expect(again.providerId).toBe(first.providerId);
    await waitFor("the next message", () => stream.messages().some((m) => m.text === "next"));
    expect(stream.messages().map((m) => m.text)).toEqual(["once", "next"]);
    await stream.close();
  });

  it("resends what the browser missed after its Last-Event-ID", async () => {
    const visitor = await newVisitor();
    const first = await openStream(visitor);
    await waitFor("the stream to be subscribed", () => hub.streamCount(visitor.visitorId) === 1);
    await send(visitor.visitorId, "one");
    await send(visitor.visitorId, "two");
    const seen = await waitFor("two messages", () =>
      first.messages().length === 2 ? first.messages() : undefined,
    );
    await first.close();
    await waitFor("the stream to be released", () => hub.streamCount(visitor.visitorId) === 0);
    // "two" was lost on the way; "three" was sent while the browser was away
    await send(visitor.visitorId, "three");

    const again = await openStream(visitor, seen[0].id);
    const replayed = await waitFor("the replay", () =>
      again.messages().length === 2 ? again.messages() : undefined,
    );
    expect(replayed.map((m) => m.text)).toEqual(["two", "three"]);
    await again.close();
  });

  it("succeeds when the visitor has no open stream: the message waits in history", async () => {
    const visitor = await newVisitor();
    const sent = await send(visitor.visitorId, "see you next visit");
    expect(sent.providerId).toMatch(/^wc-/);
    expect(hub.streamCount(visitor.visitorId)).toBe(0);
  });

  it("keeps an idle stream alive with heartbeat comments", async () => {
    const stream = await openStream(await newVisitor());
    await waitFor("a heartbeat", () => stream.frames.some((f) => f.comment === "heartbeat"));
    await stream.close();
  });

  it("refuses a wrong token with 401 before opening a stream", async () => {
    const [visitor, other] = [await newVisitor(), await newVisitor()];
    const response = await fetch(
      `${base}/webchat/api/events?visitorId=${visitor.visitorId}&token=${encodeURIComponent(other.token)}`,
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(hub.streamCount(visitor.visitorId)).toBe(0);
  });

  it("ends open streams when the server closes", async () => {
    const closing = createHttpServer({ log: silentLogger });
    const closingHub = await registerWebchat(closing, {
      db: database.db,
      onMessage: async () => undefined,
      sendReply: async () => undefined,
      secret: "webchat-stream-secret",
      brandName: "Acme",
      publicUrl: "http://127.0.0.1",
      log: silentLogger,
      clock: systemClock,
    });
    await closing.listen({ host: "127.0.0.1", port: 0 });
    const url = `http://127.0.0.1:${(closing.server.address() as AddressInfo).port}`;
    const visitor = await newVisitor();
    const query = new URLSearchParams(visitor);
    const response = await fetch(`${url}/webchat/api/events?${query}`);
    await waitFor("the stream to be subscribed", () => closingHub.streamCount(visitor.visitorId) === 1);
    await closing.close();
    // the body ends instead of hanging: the server let go of it
    await response.text();
    expect(closingHub.streamCount(visitor.visitorId)).toBe(0);
  });
});
