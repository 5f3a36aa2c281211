import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SendingChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { BatchChannel, BatchResult, Channel, OutboundMessage, SentMessage } from "./channel.ts";
import { toEml } from "./email/eml.ts";

/** Options for {@link createOutboxChannel}. */
export interface OutboxOptions {
  /** The outbox root, normally `$RAPPORT_DATA_DIR/outbox`. Files go to `<dir>/<channel>/`. */
  dir: string;
  /** Sender shown in `.eml` files. */
  from: string;
  clock: Clock;
  log: Logger;
}

/** Messages per outbox `sendBatch`: Resend's batch size, so batches look the same with and without credentials. */
export const OUTBOX_MAX_BATCH = 100;

/**
 * The transport of a channel with no credentials: each message becomes a file, `<delivery-id>.eml` for
 * email (opens in any mail client) and `<delivery-id>.json` for chat channels, and a log line. Writing is
 * atomic and idempotent: a retried delivery finds its file and does not write a second one. The email outbox
 * also takes batches (one file per message), like Resend.
 */
export function createOutboxChannel(name: "email", options: OutboxOptions): BatchChannel;
export function createOutboxChannel(name: SendingChannelName, options: OutboxOptions): Channel;
export function createOutboxChannel(
  name: SendingChannelName,
  options: OutboxOptions,
): Channel | BatchChannel {
  const folder = path.join(options.dir, name);
  const log = options.log.child({ component: "outbox", channel: name });
  async function send(message: OutboundMessage, idempotencyKey: string): Promise<SentMessage> {
    const file = path.join(folder, `${message.deliveryId}.${name === "email" ? "eml" : "json"}`);
    if (existsSync(file)) return { providerId: file };
    await mkdir(folder, { recursive: true });
    const body =
      name === "email"
        ? toEml({
            from: options.from,
            to: message.to,
            subject: message.subject ?? "",
            text: message.text,
            html: message.html,
            headers: { ...message.headers, "X-Rapport-Idempotency-Key": idempotencyKey },
            date: new Date(options.clock.now()),
            messageId: message.deliveryId,
          })
        : `${JSON.stringify({ to: message.to, text: message.text, replyTo: message.replyTo, idempotencyKey }, null, 2)}\n`;
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
    log.info(
      { deliveryId: message.deliveryId, to: message.to, file },
      `${name} message written to the outbox`,
    );
    return { providerId: file };
  }
  const channel: Channel = { name, limit: { max: 1_000, durationMs: 1_000 }, idempotent: true, send };
  if (name !== "email") return channel;
  return {
    ...channel,
    maxBatch: OUTBOX_MAX_BATCH,
    async sendBatch(messages: OutboundMessage[], idempotencyKey: string): Promise<BatchResult> {
      if (messages.length > OUTBOX_MAX_BATCH) {
        throw new RangeError(
          `an outbox batch holds at most ${OUTBOX_MAX_BATCH} messages, got ${messages.length}`,
        );
      }
      const results: BatchResult = [];
      for (const [index, message] of messages.entries()) {
        results.push(await send(message, `${idempotencyKey}#${index}`));
      }
      return results;
    },
  };
}
