import type { RESTPutAPIApplicationCommandsJSONBody } from "discord.js";
import { commandForButtonData } from "../buttons.ts";
import type { InboundMessage } from "../inbound.ts";
import { senderOf } from "./inbound.ts";
import type { ButtonInteraction, CommandInteraction } from "./payloads.ts";

/** Discord's epoch (2015-01-01T00:00:00Z) in ms: a snowflake's top bits count ms from it. */
const DISCORD_EPOCH = 1_420_070_400_000n;

/**
 * The slash commands the bot registers (globally, by bulk overwrite). Each becomes the same text a customer
 * could type on any platform ("/rate 4"); what it means is the conversation core's business. Descriptions
 * are localised because Discord shows them in the user's client language.
 */
export const SLASH_COMMANDS: RESTPutAPIApplicationCommandsJSONBody = [
  {
    name: "help",
    type: 1,
    description: "What this bot can do for you",
    description_localizations: { id: "Apa yang bisa dilakukan bot ini", pl: "Co potrafi ten bot" },
    contexts: [0, 1],
    integration_types: [0],
  },
  {
    name: "stop",
    type: 1,
    description: "Stop receiving messages from us on Discord",
    description_localizations: {
      id: "Berhenti menerima pesan dari kami di Discord",
      pl: "Nie otrzymuj od nas wiadomości na Discordzie",
    },
    contexts: [0, 1],
    integration_types: [0],
  },
  {
    name: "rate",
    type: 1,
    description: "Rate our service from 1 to 5",
    description_localizations: {
      id: "Beri nilai layanan kami dari 1 sampai 5",
      pl: "Oceń naszą obsługę od 1 do 5",
    },
    contexts: [0, 1],
    integration_types: [0],
    options: [
      {
        name: "score",
        type: 4,
        description: "1 (poor) to 5 (excellent)",
        description_localizations: {
          id: "1 (buruk) sampai 5 (sangat baik)",
          pl: "1 (słabo) do 5 (świetnie)",
        },
        required: true,
        min_value: 1,
        max_value: 5,
      },
    ],
  },
];

const COMMAND_NAMES = new Set(SLASH_COMMANDS.map((c) => c.name));

/** Whether `name` is one of the bot's slash commands. */
export function isOwnCommand(name: string): boolean {
  return COMMAND_NAMES.has(name);
}

/**
 * Turns a slash command into the text a customer would type: "/rate" with option `score: 4` becomes
 * "/rate 4". The interaction id is the message id; the interaction's token, a credential valid for 15
 * minutes, is removed from the stored payload.
 */
export function commandToInbound(interaction: CommandInteraction): InboundMessage {
  const values = (interaction.data.options ?? []).flatMap((o) =>
    o.value === undefined ? [] : [String(o.value)],
  );
  return interactionToInbound(interaction, [`/${interaction.data.name}`, ...values].join(" "));
}

/**
 * Turns a button press into the command it stands for ("rate:4" → "/rate 4", see bots/buttons.ts), or
 * `undefined` for a button this bot never sent.
 */
export function buttonToInbound(interaction: ButtonInteraction): InboundMessage | undefined {
  const text = commandForButtonData(interaction.data.custom_id);
  return text ? interactionToInbound(interaction, text) : undefined;
}

function interactionToInbound(
  interaction: CommandInteraction | ButtonInteraction,
  text: string,
): InboundMessage {
  const user = (interaction.member?.user ?? interaction.user)!;
  const { token: _token, ...raw } = interaction;
  return {
    channel: "discord",
    externalId: interaction.id,
    sender: senderOf(user, interaction.locale),
    threadRef: interaction.channel_id,
    text,
    // interactions carry no timestamp: the snowflake holds the moment Discord created it
    sentAt: new Date(Number((BigInt(interaction.id) >> 22n) + DISCORD_EPOCH)),
    raw: JSON.parse(JSON.stringify(raw)),
  };
}
