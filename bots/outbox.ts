import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ChannelName } from "../lib/channels.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/logger.ts";
import type { Channel, OutboundMessage, SentMessage } from "./channel.ts";
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

/**
 * The transport of a channel with no credentials: each message becomes a file, `<delivery-id>.eml` for
 * email (opens in any mail client) and `<delivery-id>.json` for chat channels, and a log line. Writing is
 * atomic and idempotent: a retried delivery finds its file and does not write a second one.
 */
export function createOutboxChannel(name: ChannelName, options: OutboxOptions): Channel {
  const folder = path.join(options.dir, name);
  const log = options.log.child({ component: "outbox", channel: name });
  return {
    name,
    limit: { max: 1_000, durationMs: 1_000 },
    async send(message: OutboundMessage, idempotencyKey: string): Promise<SentMessage> {
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
    },
  };
}
