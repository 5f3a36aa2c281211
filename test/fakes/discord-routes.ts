import type { APIApplicationCommand, APIMessage } from "discord.js";
import { type BucketRule, DISCORD_BUCKETS } from "./discord-limits.ts";
import { baseMessage, buildDmChannel } from "./discord-payloads.ts";
import type { DiscordState } from "./discord-state.ts";

/** A Discord JSON error: `{ code, message, errors? }` with its HTTP status. */
export class DiscordApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: Record<string, unknown>,
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    return { message: this.message, code: this.code, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

/** Discord's "Invalid Form Body" (50035) with one field error. */
function invalidForm(field: string, code: string, message: string): DiscordApiError {
  return new DiscordApiError(400, 50035, "Invalid Form Body", {
    [field]: { _errors: [{ code, message }] },
  });
}

/** Static application fields `GET /applications/@me` returns. */
export interface FakeApplication {
  id: string;
  name: string;
  flags: number;
}

/** What a route handler gets. */
export interface RouteContext {
  state: DiscordState;
  application: FakeApplication;
  params: string[];
  body: unknown;
  gatewayUrl: string;
}

/** A route's answer: status and JSON body (undefined for 204). */
export interface RouteResult {
  status: number;
  body?: unknown;
}

/** One REST route of the fake. */
export interface Route {
  method: string;
  /** The route as the tests name it in `failNext`, e.g. "POST /channels/:id/messages". */
  template: string;
  pattern: RegExp;
  bucket: BucketRule;
  /** Interaction callbacks and webhooks are authorised by the interaction token, not the bot token. */
  auth: boolean;
  handle(ctx: RouteContext): RouteResult;
}

const ID = "(\\d{15,21})";
const TOKEN = "([A-Za-z0-9_.-]+)";

function route(
  method: string,
  template: string,
  pattern: string,
  handle: Route["handle"],
  options: { bucket?: BucketRule; auth?: boolean } = {},
): Route {
  return {
    method,
    template: `${method} ${template}`,
    pattern: new RegExp(`^${pattern}$`),
    bucket: options.bucket ?? DISCORD_BUCKETS.other,
    auth: options.auth ?? true,
    handle,
  };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new DiscordApiError(400, 50109, "The request body contains invalid JSON.");
  }
  return body as Record<string, unknown>;
}

function createMessage({ state, params, body }: RouteContext): RouteResult {
  const channelId = params[0]!;
  if (!state.channels.has(channelId)) throw new DiscordApiError(404, 10003, "Unknown Channel");
  const input = objectBody(body);
  const content = input.content;
  if (typeof content !== "string" || content.trim() === "") {
    throw new DiscordApiError(400, 50006, "Cannot send an empty message");
  }
  if (content.length > 2000) {
    throw invalidForm("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.");
  }
  const nonce = input.nonce;
  if (nonce !== undefined && (typeof nonce !== "string" || nonce.length > 25)) {
    throw invalidForm("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.");
  }
  if (input.enforce_nonce === true && typeof nonce === "string") {
    const earlier = state.nonces.get(`${channelId}:${nonce}`);
    if (earlier !== undefined) return { status: 200, body: earlier };
  }
  const guildId = state.channels.get(channelId);
  const message: APIMessage = baseMessage({
    id: state.ids.next(),
    channelId,
    author: state.bot,
    content,
    timestamp: state.isoNow(),
  });
  const reference = input.message_reference as
    | { message_id?: string; fail_if_not_exists?: boolean }
    | undefined;
  if (reference?.message_id !== undefined) {
    const referenced = state.messages.get(reference.message_id);
    if (referenced === undefined && reference.fail_if_not_exists !== false) {
      throw invalidForm("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message");
    }
    if (referenced !== undefined) {
      message.type = 19;
      message.message_reference = {
        type: 0,
        message_id: referenced.id,
        channel_id: referenced.channel_id,
        ...(guildId ? { guild_id: guildId } : {}),
      };
      message.referenced_message = referenced;
    }
  }
  if (input.components !== undefined) message.components = actionRows(input.components);
  if (typeof nonce === "string") {
    message.nonce = nonce;
    state.nonces.set(`${channelId}:${nonce}`, message);
  }
  state.messages.set(message.id, message);
  state.sentMessages.push(message);
  return { status: 200, body: message };
}

function openDm({ state, body }: RouteContext): RouteResult {
  const recipient = objectBody(body).recipient_id;
  if (typeof recipient !== "string" || !/^\d{15,21}$/.test(recipient)) {
    throw invalidForm("recipient_id", "NUMBER_TYPE_COERCE", `Value "${String(recipient)}" is not snowflake.`);
  }
  return { status: 200, body: buildDmChannel(state.dmChannelOf(recipient), state.user(recipient)) };
}

function putCommands({ state, application, params, body }: RouteContext): RouteResult {
  if (params[0] !== application.id) throw new DiscordApiError(403, 50001, "Missing Access");
  if (!Array.isArray(body)) throw new DiscordApiError(400, 50109, "The request body contains invalid JSON.");
  state.commands = body.map((raw, index) => {
    const input = raw as Partial<APIApplicationCommand>;
    if (typeof input.name !== "string" || !/^[-_\p{L}\p{N}]{1,32}$/u.test(input.name)) {
      throw invalidForm(`${index}.name`, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
    return {
      ...input,
      id: state.commands.find((c) => c.name === input.name)?.id ?? state.ids.next(),
      application_id: application.id,
      version: state.ids.next(),
      type: input.type ?? 1,
      description: input.description ?? "",
      default_member_permissions: input.default_member_permissions ?? null,
      nsfw: false,
    } as APIApplicationCommand;
  });
  return { status: 200, body: state.commands };
}

function interactionOf(state: DiscordState, id: string, token: string) {
  const interaction = state.interactions.get(id);
  if (interaction === undefined || interaction.token !== token) {
    throw new DiscordApiError(404, 10062, "Unknown interaction");
  }
  return interaction;
}

/** Message components as Discord checks them: up to 5 action rows (type 1) of up to 5 buttons (type 2) each. */
function actionRows(components: unknown): NonNullable<APIMessage["components"]> {
  const rows = Array.isArray(components) ? components : undefined;
  if (!rows || rows.length > 5)
    throw invalidForm("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.");
  for (const row of rows as Array<{ type?: unknown; components?: unknown }>) {
    const buttons = Array.isArray(row.components) ? (row.components as Array<Record<string, unknown>>) : [];
    if (row.type !== 1 || buttons.length === 0 || buttons.length > 5)
      throw invalidForm("components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Invalid action row");
    for (const button of buttons) {
      const customId = button.custom_id;
      if (button.type !== 2 || typeof customId !== "string" || customId.length > 100 || !button.label)
        throw invalidForm("components", "BASE_TYPE_REQUIRED", "Invalid button");
    }
  }
  return rows as NonNullable<APIMessage["components"]>;
}

function callback({ state, params, body }: RouteContext): RouteResult {
  const interaction = interactionOf(state, params[0]!, params[1]!);
  const afterMs = state.now() - interaction.at;
  // Discord forgets an interaction that was not acknowledged within 3 seconds
  if (afterMs > 3_000 && !interaction.acknowledged)
    throw new DiscordApiError(404, 10062, "Unknown interaction");
  if (interaction.acknowledged) {
    throw new DiscordApiError(400, 40060, "Interaction has already been acknowledged.");
  }
  const input = objectBody(body);
  if (typeof input.type !== "number")
    throw invalidForm("type", "BASE_TYPE_REQUIRED", "This field is required");
  interaction.acknowledged = true;
  const data = (input.data ?? undefined) as Record<string, unknown> | undefined;
  state.interactionResponses.push({
    interactionId: interaction.id,
    kind: "callback",
    type: input.type,
    data,
    afterMs,
  });
  return { status: 204 };
}

function editOriginal({ state, params, body }: RouteContext): RouteResult {
  const interaction = [...state.interactions.values()].find((i) => i.token === params[1]);
  if (interaction === undefined || !interaction.acknowledged)
    throw new DiscordApiError(404, 10008, "Unknown Message");
  const input = objectBody(body);
  interaction.original = baseMessage({
    id: interaction.original?.id ?? state.ids.next(),
    channelId: interaction.channelId,
    author: state.bot,
    content: typeof input.content === "string" ? input.content : "",
    timestamp: state.isoNow(),
  });
  state.interactionResponses.push({
    interactionId: interaction.id,
    kind: "edit",
    data: input,
    afterMs: state.now() - interaction.at,
  });
  return { status: 200, body: interaction.original };
}

function deleteOriginal({ state, params }: RouteContext): RouteResult {
  const interaction = [...state.interactions.values()].find((i) => i.token === params[1]);
  if (interaction === undefined || !interaction.acknowledged)
    throw new DiscordApiError(404, 10008, "Unknown Message");
  state.interactionResponses.push({
    interactionId: interaction.id,
    kind: "delete",
    afterMs: state.now() - interaction.at,
  });
  return { status: 204 };
}

/** The REST routes the fake serves, under `/api/v10`. */
export const ROUTES: Route[] = [
  route("GET", "/gateway/bot", "/gateway/bot", ({ gatewayUrl }) => ({
    status: 200,
    body: {
      url: gatewayUrl,
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    },
  })),
  route("GET", "/users/@me", "/users/@me", ({ state }) => ({ status: 200, body: state.bot })),
  route("GET", "/applications/@me", "/applications/@me", ({ state, application }) => ({
    status: 200,
    body: {
      ...application,
      icon: null,
      description: "",
      summary: "",
      type: null,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: "0".repeat(64),
      team: null,
      bot: state.bot,
      approximate_guild_count: 1,
      redirect_uris: [],
      interactions_endpoint_url: null,
      integration_types_config: { "0": {}, "1": {} },
    },
  })),
  route("PUT", "/applications/:id/commands", `/applications/${ID}/commands`, putCommands),
  route("POST", "/channels/:id/messages", `/channels/${ID}/messages`, createMessage, {
    bucket: DISCORD_BUCKETS.messages,
  }),
  route("POST", "/users/@me/channels", "/users/@me/channels", openDm),
  route("POST", "/interactions/:id/:token/callback", `/interactions/${ID}/${TOKEN}/callback`, callback, {
    auth: false,
  }),
  route(
    "PATCH",
    "/webhooks/:id/:token/messages/@original",
    `/webhooks/${ID}/${TOKEN}/messages/@original`,
    editOriginal,
    {
      auth: false,
    },
  ),
  route(
    "DELETE",
    "/webhooks/:id/:token/messages/@original",
    `/webhooks/${ID}/${TOKEN}/messages/@original`,
    deleteOriginal,
    { auth: false },
  ),
];
