import { PermanentSendError } from "../../lib/errors.ts";
import type { Channel, OutboundMessage, SentMessage } from "../channel.ts";
import type { WebchatHub } from "./hub.ts";

/**
 * The web chat as an outbound channel: `message.to` is the visitor id, and `send` pushes `{ id, text, at }`
 * to the visitor's open SSE streams through the hub, resolving with the message id as `providerId`.
 *
 * A visitor with no open stream is not a failure: the deliverer stores the message as an Interaction, and
 * the widget shows it from history on the next visit (or replays it on reconnect within the hub's window).
 * The same `idempotencyKey` yields the same message id, pushed once. `buttons` go with the event (and with
 * the history): the widget draws the survey's rating as five star buttons.
 */
export function createWebchatChannel(hub: WebchatHub): Channel {
  return {
    name: "webchat",
    // in-process: no provider sets a rate, this only keeps a runaway campaign from flooding browsers
    limit: { max: 200, durationMs: 1_000 },
    // the same key is the same message id, pushed once
    idempotent: true,
    async send(message: OutboundMessage, idempotencyKey: string): Promise<SentMessage> {
      if (!message.to) {
        throw new PermanentSendError("web chat message has no visitor id in `to`", {
          channel: "webchat",
          deliveryId: message.deliveryId,
        });
      }
      const { event } = hub.publish(message.to, message.text, idempotencyKey, message.buttons);
      return { providerId: event.id };
    },
  };
}
