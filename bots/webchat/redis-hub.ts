import type { Logger } from "../../lib/logger.ts";
import type { Redis } from "../../lib/redis.ts";
import { createRelay } from "../../lib/relay.ts";
import type { WebchatButton, WebchatHub } from "./hub.ts";

/** A {@link WebchatHub} shared by processes, and how to stop listening. */
export interface SharedWebchatHub extends WebchatHub {
  /** Resolves once this process hears the others' messages. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface Relayed {
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
  const relay = createRelay<Relayed>({
    redis: options.redis,
    channel: `${options.prefix}:webchat:relay`,
    log: options.log.child({ component: "webchat-hub" }),
    lost: "replies from other processes stay in history",
  });
  const ready = relay.listen(
    (message) => {
      const m = message as Partial<Relayed> | null;
      return typeof m?.visitorId === "string" && typeof m.text === "string" && typeof m.key === "string"
        ? (m as Relayed)
        : undefined;
    },
    (relayed) => local.publish(relayed.visitorId, relayed.text, relayed.key, relayed.buttons),
  );
  return {
    ready,
    publish(visitorId, text, idempotencyKey, buttons) {
      const result = local.publish(visitorId, text, idempotencyKey, buttons);
      // the message is stored either way: a lost relay is seen from history on the next page view
      if (!result.duplicate) relay.publish({ visitorId, text, key: idempotencyKey, buttons });
      return result;
    },
    subscribe: (visitorId, listener, lastEventId) => local.subscribe(visitorId, listener, lastEventId),
    streamCount: (visitorId) => local.streamCount(visitorId),
    async close() {
      relay.close();
    },
  };
}
