import { randomUUID } from "node:crypto";
import type { Logger } from "./logger.ts";
import type { Redis } from "./redis.ts";

/** Messages every process hears, through one Redis pub/sub channel. */
export interface Relay<T> {
  /** Tells the other processes (not this one). Never throws: a lost relay is logged. */
  publish(message: T): void;
  /**
   * Hears the other processes' messages from now on, each checked by `read` (undefined: unreadable, skipped
   * and logged). Once per relay; resolves when subscribed (a failure is logged, not thrown).
   */
  listen(read: (message: unknown) => T | undefined, onMessage: (message: T) => void): Promise<void>;
  close(): void;
}

interface Envelope {
  origin: string;
  message: unknown;
}

/**
 * A relay on `channel`: what one process publishes reaches every other process that listens, tagged with this
 * process's origin so that it does not hear itself. The console's live updates and the web chat's replies both
 * ride on it; a process that only publishes (a worker) never opens a subscriber connection.
 */
export function createRelay<T>(options: {
  redis: Redis;
  channel: string;
  log: Logger;
  /** What the others' messages not arriving means for users, in the log line when subscribing fails. */
  lost: string;
}): Relay<T> {
  const origin = randomUUID();
  const { redis, channel, log } = options;
  let subscriber: Redis | undefined;
  return {
    publish(message) {
      const envelope: Envelope = { origin, message };
      redis
        .publish(channel, JSON.stringify(envelope))
        .catch((error: unknown) => log.warn({ err: error, channel }, "relay failed"));
    },
    listen(read, onMessage) {
      if (subscriber) throw new Error(`already listening on ${channel}`);
      subscriber = redis.duplicate();
      subscriber.on("message", (_channel: string, payload: string) => {
        try {
          const envelope = JSON.parse(payload) as Envelope;
          if (envelope.origin === origin) return;
          const message = read(envelope.message);
          if (message === undefined) log.warn({ payload, channel }, "unreadable relay message skipped");
          else onMessage(message);
        } catch (error) {
          log.warn({ err: error, payload, channel }, "unreadable relay message skipped");
        }
      });
      return subscriber.subscribe(channel).then(
        () => undefined,
        (error: unknown) => log.error({ err: error, channel }, `relay not subscribed: ${options.lost}`),
      );
    },
    close() {
      subscriber?.disconnect();
      subscriber = undefined;
    },
  };
}
