import type { BatchChannel, Channel, OutboundMessage } from "../bots/index.ts";

/** So high the worker's limiter never waits: the bench measures the engine, not a provider. */
export const NO_LIMIT = { max: 100_000, durationMs: 1_000 } as const;

/** A channel that accepts everything at once and counts it. */
export interface CountingChannel extends Channel {
  readonly sent: () => number;
}

/** A Telegram (or any chat) channel whose `send` does nothing. */
export function noopChannel(name: Channel["name"]): CountingChannel {
  let sent = 0;
  return {
    name,
    limit: NO_LIMIT,
    sent: () => sent,
    async send(message: OutboundMessage) {
      sent++;
      return { providerId: `noop-${message.deliveryId}` };
    },
  };
}

/** An email channel taking batches of up to 100, like Resend's `POST /emails/batch`, doing nothing. */
export function noopBatchChannel(): CountingChannel & BatchChannel {
  let sent = 0;
  return {
    name: "email",
    limit: NO_LIMIT,
    maxBatch: 100,
    sent: () => sent,
    async send(message: OutboundMessage) {
      sent++;
      return { providerId: `noop-${message.deliveryId}` };
    },
    async sendBatch(messages: OutboundMessage[]) {
      sent += messages.length;
      return messages.map((m) => ({ providerId: `noop-${m.deliveryId}` }));
    },
  };
}
