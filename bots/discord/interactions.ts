import { InteractionResponseType, MessageFlags, type REST, Routes } from "discord.js";
import type { Logger } from "../../lib/logger.ts";
import type { InboundMessage } from "../inbound.ts";
import { buttonToInbound, commandToInbound, isOwnCommand } from "./commands.ts";
import { ButtonInteraction, CommandInteraction } from "./payloads.ts";
import type { SerialQueues } from "./serial.ts";

/** What {@link createInteractionHandler} needs from the bot. */
export interface InteractionDeps {
  /** The bot client's REST: interaction callbacks are answered with the interaction's own token. */
  rest: REST;
  log: Logger;
  queues: SerialQueues;
  deliver: (message: InboundMessage) => Promise<void>;
  reply?: (command: InboundMessage) => Promise<string | undefined> | string | undefined;
}

/**
 * Handles slash commands and presses on the bot's buttons. Discord drops an interaction that is not acknowledged within 3 seconds, and the
 * conversation core answers when it is ready, so every command is acknowledged at once with a deferred
 * private ("ephemeral") response; then the command goes to `deliver` as text. Afterwards the placeholder
 * becomes `reply`'s text, or is deleted when there is none (the answer then comes as an ordinary message).
 */
export function createInteractionHandler(deps: InteractionDeps): { handle(data: unknown): void } {
  const { rest, log } = deps;

  async function acknowledge(interaction: CommandInteraction): Promise<boolean> {
    try {
      await rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
        body: {
          type: InteractionResponseType.DeferredChannelMessageWithSource,
          data: { flags: MessageFlags.Ephemeral },
        },
        auth: false,
      });
      return true;
    } catch (error) {
      log.warn(
        { err: error, interactionId: interaction.id },
        "could not acknowledge a Discord slash command",
      );
      return false;
    }
  }

  async function finish(interaction: CommandInteraction, command: InboundMessage): Promise<void> {
    const original = Routes.webhookMessage(interaction.application_id, interaction.token, "@original");
    try {
      await deps.deliver(command);
      const text = await deps.reply?.(command);
      if (text) {
        await rest.patch(original, { body: { content: text, allowed_mentions: { parse: [] } }, auth: false });
      } else {
        await rest.delete(original, { auth: false });
      }
    } catch (error) {
      log.error(
        { err: error, interactionId: interaction.id, text: command.text },
        "discord slash command failed",
      );
      await rest.delete(original, { auth: false }).catch(() => undefined);
    }
  }

  /**
   * A button press (a survey's rating): acknowledged at once as an update of the message it is on, which
   * stays as it is; the command it stands for goes to `deliver`, which answers with an ordinary message.
   */
  function press(data: unknown): void {
    const parsed = ButtonInteraction.safeParse(data);
    const command = parsed.success ? buttonToInbound(parsed.data) : undefined;
    if (!parsed.success || !command) {
      const { token: _token, ...raw } = data as Record<string, unknown>;
      log.warn({ raw }, "skipped a Discord button press that is not one of ours");
      return;
    }
    const interaction = parsed.data;
    const acknowledged = rest
      .post(Routes.interactionCallback(interaction.id, interaction.token), {
        body: { type: InteractionResponseType.DeferredMessageUpdate },
        auth: false,
      })
      .catch((error: unknown) =>
        log.warn(
          { err: error, interactionId: interaction.id },
          "could not acknowledge a Discord button press",
        ),
      );
    deps.queues.run(command.threadRef, async () => {
      await acknowledged;
      await deps
        .deliver(command)
        .catch((error: unknown) => log.error({ err: error }, "discord button press failed"));
    });
  }

  return {
    handle(data) {
      if ((data as { type?: unknown } | null)?.type === 3) return press(data);
      if ((data as { type?: unknown } | null)?.type !== 2) {
        log.debug({ raw: data }, "ignored a Discord interaction that is not a slash command");
        return;
      }
      const parsed = CommandInteraction.safeParse(data);
      if (!parsed.success) {
        const { token: _token, ...raw } = data as Record<string, unknown>;
        log.warn({ raw, issues: parsed.error.issues }, "skipped a malformed Discord INTERACTION_CREATE");
        return;
      }
      const interaction = parsed.data;
      if (!isOwnCommand(interaction.data.name)) {
        log.warn({ command: interaction.data.name }, "skipped an unknown Discord slash command");
        return;
      }
      const command = commandToInbound(interaction);
      // the acknowledgement starts now, outside the channel's queue: it must not wait behind other messages
      const acknowledged = acknowledge(interaction);
      deps.queues.run(command.threadRef, async () => {
        if (await acknowledged) await finish(interaction, command);
        else
          await deps
            .deliver(command)
            .catch((error: unknown) => log.error({ err: error }, "discord slash command failed"));
      });
    },
  };
}
