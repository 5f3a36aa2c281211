import { describe, expect, it } from "vitest";
import { createWebchatHub, shareWebchatHub, type WebchatEvent } from "../../../bots/webchat/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

const collect = () => {
  const events: WebchatEvent[] = [];
  return { events, listener: (event: WebchatEvent) => events.push(event) };
};

describe("createWebchatHub", () => {
  it("pushes a message to every open stream of its visitor only", () => {
    const hub = createWebchatHub({ clock: manualClock() });
    const [a1, a2, b] = [collect(), collect(), collect()];
    hub.subscribe("a", a1.listener);
    hub.subscribe("a", a2.listener);
    hub.subscribe("b", b.listener);
    const result = hub.publish("a", "hello", "k1");
    expect(result).toMatchObject({
      streams: 2,
      duplicate: false,
      event: { text: "hello", at: "2026-01-01T00:00:00.000Z" },
    });
    expect(a1.events).toEqual([result.event]);
    expect(a2.events).toEqual([result.event]);
    expect(b.events).toEqual([]);
  });

  it("publishes one idempotency key once, with the same id", () => {
    const hub = createWebchatHub({ clock: manualClock() });
    const stream = collect();
    hub.subscribe("a", stream.listener);
    const first = hub.publish("a", "hello", "k1");
    const again = hub.publish("a", "hello", "k1");
    expect(again).toMatchObject({ duplicate: true, streams: 0, event: first.event });
    expect(stream.events).toHaveLength(1);
    // forgotten after its window, the key still yields the same id: the widget shows it once
    const other = createWebchatHub({ clock: manualClock() });
    expect(other.publish("a", "hello", "k1").event.id).toBe(first.event.id);
  });

  it("replays what a stream missed after its Last-Event-ID, and everything kept for an unknown id", () => {
    const hub = createWebchatHub({ clock: manualClock() });
    const first = hub.subscribe("a", () => undefined);
    const [m1, m2] = [hub.publish("a", "one", "k1").event, hub.publish("a", "two", "k2").event];
    first.unsubscribe();
    const m3 = hub.publish("a", "three", "k3").event;
    expect(hub.subscribe("a", () => undefined, m1.id).missed).toEqual([m2, m3]);
    expect(hub.subscribe("a", () => undefined, m3.id).missed).toEqual([]);
    expect(hub.subscribe("a", () => undefined, "wc-from-before-a-restart").missed).toEqual([m1, m2, m3]);
    expect(hub.subscribe("a", () => undefined).missed).toEqual([]);
  });

  it("keeps at most replayLimit events, for replayWindowMs", () => {
    const clock = manualClock();
    const hub = createWebchatHub({ clock, replayLimit: 2, replayWindowMs: 60_000 });
    for (const key of ["k1", "k2", "k3"]) hub.publish("a", key, key);
    expect(hub.subscribe("a", () => undefined, "unknown").missed.map((e) => e.text)).toEqual(["k2", "k3"]);
    clock.advance(60_001);
    expect(hub.subscribe("a", () => undefined, "unknown").missed).toEqual([]);
  });

  it("forgets idle visitors beyond maxVisitors but never one with an open stream", () => {
    const hub = createWebchatHub({ clock: manualClock(), maxVisitors: 2 });
    const live = collect();
    hub.subscribe("live", live.listener);
    for (const visitor of ["v1", "v2", "v3", "v4"]) hub.publish(visitor, "hi", "k");
    expect(hub.streamCount("live")).toBe(1);
    hub.publish("live", "still here", "k2");
    expect(live.events.map((e) => e.text)).toEqual(["still here"]);
    expect(hub.subscribe("v1", () => undefined, "unknown").missed).toEqual([]);
  });
});

describe("shareWebchatHub", () => {
  const redis = useTestRedis();

  it("reaches a visitor's stream held by another process, once, with the same message id", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 23, 9));
    const starter = shareWebchatHub(createWebchatHub({ clock }), {
      redis: redis.redis,
      prefix: redis.prefix,
      log: silentLogger,
    });
    const worker = shareWebchatHub(createWebchatHub({ clock }), {
      redis: redis.redis,
      prefix: redis.prefix,
      log: silentLogger,
    });
    try {
      await Promise.all([starter.ready, worker.ready]);
      const received: WebchatEvent[] = [];
      starter.subscribe("visitor-1", (event) => received.push(event));

      const sent = worker.publish("visitor-1", "Your parcel left the warehouse", "d/reply/1");
      worker.publish("visitor-1", "Your parcel left the warehouse", "d/reply/1"); // a retried delivery
      // a barrier: relayed in order after the retry, so once it is here a second copy would be too
      const next = worker.publish("visitor-1", "It arrives tomorrow", "d/reply/2");
      await waitFor("the message after the retry", () => received.some((e) => e.id === next.event.id));
      expect(received).toEqual([sent.event, next.event]);
      expect(worker.streamCount("visitor-1")).toBe(0);
    } finally {
      await Promise.all([starter.close(), worker.close()]);
    }
  });
});
