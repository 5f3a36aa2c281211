import type { Clock } from "../../lib/clock.ts";
import { shortHash } from "../../lib/ids.ts";

/** One outbound message as the widget receives it over SSE. */
export interface WebchatEvent {
  /** The message id: the SSE event id, the Channel's providerId, and what the widget deduplicates on. */
  id: string;
  text: string;
  /** When it was sent, ISO 8601. */
  at: string;
  /** Quick answers to offer under it (the survey's rating): the widget draws them as star buttons. */
  buttons?: WebchatButton[];
}

/** A quick answer: `value` is what it means ("rate:4"), `label` what the message says ("★★★★"). */
export interface WebchatButton {
  label: string;
  value: string;
}

/** What {@link WebchatHub.publish} did. */
export interface PublishResult {
  event: WebchatEvent;
  /** How many open streams received it; 0 means the visitor sees it from history on their next visit. */
  streams: number;
  /** True when this idempotency key was published before: the first event is returned, nothing is pushed. */
  duplicate: boolean;
}

/** A live subscription of one SSE stream. */
export interface Subscription {
  /** Events the stream missed after its `Last-Event-ID`, oldest first, to write before anything new. */
  missed: WebchatEvent[];
  unsubscribe(): void;
}

/**
 * The in-memory switchboard between the web chat Channel and the visitors' open SSE streams of one process.
 * `shareWebchatHub` (redis-hub.ts) joins the hubs of several processes, so a `rapport worker` elsewhere
 * reaches the streams `rapport start` holds.
 */
export interface WebchatHub {
  /** Pushes a message to every open stream of the visitor and keeps it for `Last-Event-ID` replay. */
  publish(visitorId: string, text: string, idempotencyKey: string, buttons?: WebchatButton[]): PublishResult;
  /**
   * Adds a stream. With a `lastEventId` the stream gets what it missed: the events after that id, or every
   * kept event when the id is no longer known (the widget deduplicates by id).
   */
  subscribe(visitorId: string, listener: (event: WebchatEvent) => void, lastEventId?: string): Subscription;
  /** Open streams of one visitor. */
  streamCount(visitorId: string): number;
}

/** Options for {@link createWebchatHub}. */
export interface WebchatHubOptions {
  clock: Clock;
  /** Events kept per visitor for replay. Defaults to 50. */
  replayLimit?: number;
  /** How long an event stays replayable, in ms. Defaults to 3 600 000 (one hour). */
  replayWindowMs?: number;
  /** Visitors remembered at most; the least recently active without an open stream go first. Defaults to 10 000. */
  maxVisitors?: number;
}

interface Kept extends WebchatEvent {
  key: string;
  atMs: number;
}

interface Visitor {
  listeners: Set<(event: WebchatEvent) => void>;
  kept: Kept[];
  lastActiveMs: number;
}

/** Creates the in-memory {@link WebchatHub}. */
export function createWebchatHub(options: WebchatHubOptions): WebchatHub {
  const replayLimit = options.replayLimit ?? 50;
  const windowMs = options.replayWindowMs ?? 3_600_000;
  const maxVisitors = options.maxVisitors ?? 10_000;
  // Map order is recency order: touch() re-inserts, so pruning walks from the least recently active.
  const visitors = new Map<string, Visitor>();

  const touch = (visitorId: string): Visitor => {
    const now = options.clock.now();
    prune(now);
    const visitor = visitors.get(visitorId) ?? { listeners: new Set(), kept: [], lastActiveMs: now };
    visitors.delete(visitorId);
    visitors.set(visitorId, visitor);
    visitor.lastActiveMs = now;
    visitor.kept = visitor.kept.filter((e) => now - e.atMs <= windowMs);
    return visitor;
  };

  const prune = (now: number) => {
    // bounded: entries re-inserted below are visited again by the same iteration
    let budget = visitors.size;
    for (const [id, visitor] of visitors) {
      if (budget-- <= 0) break;
      if (now - visitor.lastActiveMs <= windowMs && visitors.size < maxVisitors) break;
      visitors.delete(id);
      // a visitor with an open stream is alive: back to the recent end rather than forgotten
      if (visitor.listeners.size > 0) {
        visitor.lastActiveMs = now;
        visitors.set(id, visitor);
      }
    }
  };

  return {
    publish(visitorId, text, idempotencyKey, buttons) {
      const visitor = touch(visitorId);
      const seen = visitor.kept.find((e) => e.key === idempotencyKey);
      if (seen) return { event: publicEvent(seen), streams: 0, duplicate: true };
      const now = options.clock.now();
      // Derived from the key: a delivery retried after the hub forgot it keeps its id, so the widget shows it once.
      const id = `wc-${shortHash(`${visitorId}\n${idempotencyKey}`, 24)}`;
      const at = new Date(now).toISOString();
      const kept: Kept = {
        id,
        text,
        at,
        key: idempotencyKey,
        atMs: now,
        ...(buttons?.length && { buttons }),
      };
      visitor.kept.push(kept);
      if (visitor.kept.length > replayLimit) visitor.kept.splice(0, visitor.kept.length - replayLimit);
      const event = publicEvent(kept);
      for (const listener of visitor.listeners) listener(event);
      return { event, streams: visitor.listeners.size, duplicate: false };
    },
    subscribe(visitorId, listener, lastEventId) {
      const visitor = touch(visitorId);
      let missed: WebchatEvent[] = [];
      if (lastEventId) {
        const index = visitor.kept.findIndex((e) => e.id === lastEventId);
        missed = visitor.kept.slice(index + 1).map(publicEvent);
      }
      visitor.listeners.add(listener);
      return {
        missed,
        unsubscribe: () => {
          visitor.listeners.delete(listener);
          // keep its replay buffer for a window from now: the browser reconnects with Last-Event-ID
          touch(visitorId);
        },
      };
    },
    streamCount(visitorId) {
      return visitors.get(visitorId)?.listeners.size ?? 0;
    },
  };
}

function publicEvent(kept: Kept): WebchatEvent {
  return { id: kept.id, text: kept.text, at: kept.at, ...(kept.buttons && { buttons: kept.buttons }) };
}
