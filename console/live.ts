import { z } from "zod";
import type { Logger } from "../lib/logger.ts";
import type { Redis } from "../lib/redis.ts";
import { createRelay } from "../lib/relay.ts";

/**
 * What changed in a conversation, as the inbox and conversation pages hear it, or on the listening desk
 * (`listening`: a public post was captured or found by another keyword, or staff answered, assigned, ignored or
 * escalated one; `interactionId` is the post's, and it has no conversation).
 */
export const LiveEvent = z
  .object({
    /** Set for every kind but `listening`. */
    conversationId: z.uuid().optional(),
    /**
     * message: an inbound message, a staff reply or a note; status: assigned, snoozed, closed, read;
     * delivery: an outbound message was sent or failed; typing, presence: another staff member is there;
     * call: a phone call rang, was answered or ended (interactionId is the call; status its state);
     * listening: a listening hit was captured or changed (status: what staff did).
     */
    kind: z.enum(["message", "status", "delivery", "typing", "presence", "call", "listening"]),
    interactionId: z.uuid().optional(),
    deliveryId: z.uuid().optional(),
    /** The Delivery's new status (delivery), or what happened (status: "assigned", "closed", …). */
    status: z.string().max(32).optional(),
    /** The staff member who acted, typed or looked. */
    staffUserId: z.uuid().optional(),
    staffName: z.string().max(200).optional(),
    /** call: the staff member the call is for (its console pops it); unset: every agent's console. */
    forStaffUserId: z.uuid().optional(),
    /** presence: "viewing" while the page is open, "left" when it closes. */
    state: z.enum(["viewing", "left"]).optional(),
  })
  .refine(
    (event) => (event.kind === "listening" ? Boolean(event.interactionId) : Boolean(event.conversationId)),
    {
      message: "a conversation's event names its conversation; a listening event its post",
    },
  );
export type LiveEvent = z.infer<typeof LiveEvent>;
/** A conversation's event: one that names its conversation. */
export type ConversationLiveEvent = LiveEvent & { conversationId: string };

/**
 * The console's live updates: every process publishes here (the bots when a message is stored, the workers
 * when a Delivery is sent, the console on staff actions) and every process serving the console hears all of
 * it, through Redis pub/sub on `<prefix>:console:live`. Without Redis it reaches this process only.
 */
export interface LiveHub {
  /** Tells every listener, here and in the other processes. Never throws; a lost event is logged. */
  publish(event: LiveEvent): void;
  /** Listens to every event; returns how to stop. The first listener subscribes this process to Redis. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  /** Resolves once this process hears the others (immediately without Redis or before any subscribe). */
  listening(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link createLiveHub}. */
export interface LiveHubOptions {
  /** The shared Redis. Unset: events stay in this process. */
  redis?: Redis;
  /** Key prefix of the channel, the queue prefix. Defaults to "rapport". */
  prefix?: string;
  log: Logger;
}

/** Creates a {@link LiveHub}; a process that only publishes (a worker) never opens a subscriber connection. */
export function createLiveHub(options: LiveHubOptions): LiveHub {
  const log = options.log.child({ component: "console-live" });
  const relay =
    options.redis &&
    createRelay<LiveEvent>({
      redis: options.redis,
      channel: `${options.prefix ?? "rapport"}:console:live`,
      log,
      lost: "console pages update on reload only",
    });
  const listeners = new Set<(event: LiveEvent) => void>();
  let listening: Promise<void> | undefined;

  const deliver = (event: LiveEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.warn({ err: error }, "live listener failed");
      }
    }
  };

  return {
    publish(event) {
      deliver(event);
      relay?.publish(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      listening ??= relay?.listen((message) => {
        const event = LiveEvent.safeParse(message);
        return event.success ? event.data : undefined;
      }, deliver);
      return () => {
        listeners.delete(listener);
      };
    },
    listening: () => listening ?? Promise.resolve(),
    async close() {
      listeners.clear();
      relay?.close();
      listening = undefined;
    },
  };
}

/** The live event of a stored inbound message (the responder's `onStored`); none for social listening. */
export function storedEvent(stored: {
  interactionId: string;
  conversationId: string | null;
}): ConversationLiveEvent | undefined {
  if (!stored.conversationId) return undefined;
  return { conversationId: stored.conversationId, kind: "message", interactionId: stored.interactionId };
}

/** The live event of a Delivery's recorded outcome (the deliver worker's `onDelivered`); none outside a conversation. */
export function deliveredEvent(delivered: {
  id: string;
  conversationId: string | null;
  status: string;
}): ConversationLiveEvent | undefined {
  if (!delivered.conversationId) return undefined;
  return {
    conversationId: delivered.conversationId,
    kind: "delivery",
    deliveryId: delivered.id,
    status: delivered.status,
  };
}
