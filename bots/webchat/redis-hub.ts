import { randomUUID } from "node:crypto";
import type { Logger } from "../../lib/logger.ts";
import type { Redis } from "../../lib/redis.ts";
import type { WebchatButton, WebchatHub } from "./hub.ts";

/** A {@link WebchatHub} shared by processes, and how to stop listening. */
export interface SharedWebchatHub extends WebchatHub {
  /** Resolves once this process hears the others' messages. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface Relayed {
  origin: string;
  visitorId: string;
  text: string;
  key: string;
  buttons?: WebchatButton[];
}

/**
 * Joins the in-memory hubs of every Rapport process through Redis pub/sub, so a `rapport worker` on another
 * machine reaches the visitor whose SSE stream `rapport start` holds. Each publish is delivered locally and
 * relayed; a process receiving a relay publishes it into its own hub, where the idempotency key keeps it to
 * one message per stream and the id (derived from the key) is the same in every process.
 */
export function shareWebchatHub(
  local: WebchatHub,
  options: { redis: Redis; prefix: string; log: Logger },
): SharedWebchatHub {
  const channel = `${options.prefix}:webchat:relay`;
  const origin = randomUUID();
  const subscriber = options.redis.duplicate();
  const log = options.log.child({ component: "webchat-hub" });
  subscriber.on("message", (_channel: string, payload: string) => {
    try {
      const relayed = JSON.parse(payload) as Relayed;
      if (relayed.origin !== origin)
        local.publish(relayed.visitorId, relayed.text, relayed.key, relayed.buttons);
    } catch (error) {
      log.warn({ err: error, payload }, "unreadable web chat relay message skipped");
    }
  });
  const ready = subscriber.subscribe(channel).then(
    () => undefined,
    (error: unknown) =>
      log.error(
        { err: error },
        "web chat relay not subscribed: replies from other processes stay in history",
      ),
  );
  return {
    ready,
    publish(visitorId, text, idempotencyKey, buttons) {
      const result = local.publish(visitorId, text, idempotencyKey, buttons);
      if (!result.duplicate) {
        const relayed: Relayed = { origin, visitorId, text, key: idempotencyKey, buttons };
        // the message is stored either way: a lost relay is seen from history on the next page view
        options.redis
          .publish(channel, JSON.stringify(relayed))
          .catch((error: unknown) => log.warn({ err: error }, "web chat relay failed"));
      }
      return result;
    },
    subscribe: (visitorId, listener, lastEventId) => local.subscribe(visitorId, listener, lastEventId),
    streamCount: (visitorId) => local.streamCount(visitorId),
    async close() {
      subscriber.disconnect();
    },
  };
}
