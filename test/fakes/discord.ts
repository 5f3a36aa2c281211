import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  APIApplicationCommandInteractionDataOption,
  APIChatInputApplicationCommandInteraction,
  APIMessage,
  APIUser,
  GatewayMessageCreateDispatchData,
} from "discord.js";
import { FakeGateway, type GatewayEvent, type GatewayIdentify } from "./discord-gateway.ts";
import { limitHeaders, RateLimits, tooManyRequests } from "./discord-limits.ts";
import {
  baseMessage,
  buildGuildCreate,
  buildMember,
  buildUser,
  type FakeGuild,
  SnowflakeFactory,
  type UserInput,
} from "./discord-payloads.ts";
import { DiscordApiError, type FakeApplication, ROUTES } from "./discord-routes.ts";
import { DiscordState, type InteractionResponse } from "./discord-state.ts";
import { parseJson, readText, sendJson, startLocalServer } from "./http.ts";

export type { GatewayEvent, GatewayIdentify } from "./discord-gateway.ts";
export type { FakeGuild, UserInput } from "./discord-payloads.ts";
export type { InteractionResponse } from "./discord-state.ts";

/** Options for {@link startFakeDiscord}. */
export interface FakeDiscordOptions {
  /** The only bot token the fake accepts. Defaults to a well-formed test token. */
  token?: string;
  /** Whether the bot may use the privileged MESSAGE_CONTENT intent. Defaults to true. */
  messageContentIntent?: boolean;
  /** Gateway heartbeat interval in ms. Defaults to 41 250, Discord's usual value. */
  heartbeatIntervalMs?: number;
  /** Answer 429 when a route's bucket is empty, as Discord does. Defaults to true. */
  enforceLimits?: boolean;
  /** Clock in ms for timestamps, snowflakes and rate limits. Defaults to `Date.now`. */
  now?: () => number;
}

/** One REST request the fake received. */
export interface DiscordCall {
  method: string;
  /** The path under `/api/v10`, with real ids. */
  path: string;
  /** The matched route, e.g. "POST /channels/:id/messages", or undefined for an unknown path. */
  route?: string;
  body: unknown;
  /** HTTP status answered. */
  status: number;
  /** The `Authorization` header, e.g. "Bot <token>". */
  authorization?: string;
}

/** A failure to inject with {@link FakeDiscord.failNext}. */
export interface DiscordFailure {
  /** HTTP status, e.g. 429, 401, 403, 404, 500, 502. */
  status: number;
  /** For 429: seconds, sent as `retry_after` (and rounded up as `Retry-After`). Defaults to 0.5. */
  retryAfter?: number;
  /** For 429: a global rate limit (`X-RateLimit-Global`). Defaults to false. */
  global?: boolean;
  /** Discord's JSON error code. Defaults per status (50001 Missing Access for 403, 10003 Unknown Channel for 404). */
  code?: number;
  message?: string;
  /** How many consecutive calls fail. Defaults to 1. */
  times?: number;
}

/** A message a user sends, dispatched as MESSAGE_CREATE. */
export interface MessageInput {
  author?: UserInput;
  content: string;
  /** Where: the user's DM with the bot (default), the guild's #general, or the guild's thread. */
  place?: "dm" | "guild" | "thread";
  /** Prefixes the content with `<@botId>` and lists the bot in `mentions`. */
  mentionBot?: boolean;
  /** Id of a message this one replies to (one the bot sent, or one dispatched earlier). */
  replyTo?: string;
  /** ISO time. Defaults to now. */
  timestamp?: string;
}

/** A slash command a user runs, dispatched as INTERACTION_CREATE (type 2, APPLICATION_COMMAND). */
export interface SlashCommandInput {
  user?: UserInput;
  /** The command's name, e.g. "rate". */
  name: string;
  /** Option values by name, e.g. `{ score: 4 }`; integers are sent as type 4, strings as type 3. */
  options?: Record<string, string | number | boolean>;
  /** In the guild's #general (default) or in the user's DM with the bot. */
  place?: "dm" | "guild";
  /** The user's client language, e.g. "pl", "id", "en-US". Defaults to "en-US". */
  locale?: string;
}

/** A press on a button of a message the bot sent, dispatched as INTERACTION_CREATE (type 3, MESSAGE_COMPONENT). */
export interface ButtonPressInput {
  user?: UserInput;
  /** The pressed button's `custom_id`, e.g. "rate:4". */
  customId: string;
  /** The message the button is on. */
  messageId: string;
  place?: "dm" | "guild";
  locale?: string;
}

/** A running fake Discord: REST under `restUrl`, gateway WebSocket at `gatewayUrl`. */
export interface FakeDiscord {
  /** Pass to discord.js as `rest: { api: restUrl }` (discord.js appends `/v10`). */
  readonly restUrl: string;
  /** The gateway `GET /gateway/bot` announces; discord.js finds it there by itself. */
  readonly gatewayUrl: string;
  readonly token: string;
  readonly application: FakeApplication;
  readonly botUser: APIUser;
  readonly guild: FakeGuild;
  readonly calls: DiscordCall[];
  /** Messages the bot created through `POST /channels/{id}/messages`, in order. */
  readonly sentMessages: APIMessage[];
  readonly interactionResponses: InteractionResponse[];
  /** Gateway IDENTIFY payloads, RESUME requests and session counters. */
  readonly gateway: {
    readonly identifies: GatewayIdentify[];
    readonly resumes: Array<{ sessionId: string; seq: number }>;
    readonly readyCount: number;
    readonly resumedCount: number;
    readonly connected: boolean;
  };
  /** The slash commands last registered with `PUT /applications/{id}/commands`. */
  commands(): ReadonlyArray<{ id: string; name: string; options?: unknown }>;
  /** A user object with defaults filled in, remembered by the fake. */
  user(input?: UserInput): APIUser;
  /** Records a user's message and dispatches MESSAGE_CREATE (if a bot is connected); returns the payload. */
  messageCreate(input: MessageInput): GatewayMessageCreateDispatchData;
  /** Dispatches INTERACTION_CREATE for a slash command and returns the interaction sent. */
  interactionCreate(input: SlashCommandInput): APIChatInputApplicationCommandInteraction;
  /** Dispatches INTERACTION_CREATE for a button press and returns the interaction sent. */
  buttonPress(input: ButtonPressInput): Record<string, unknown>;
  /** Dispatches any event as is, e.g. a malformed payload; undefined when no bot has a gateway session. */
  dispatch(t: string, d: unknown): GatewayEvent | undefined;
  /** Closes the gateway connection with `code` (default 4000, which discord.js resumes from). */
  dropGateway(code?: number): void;
  /** Sends op 7 RECONNECT. */
  requestReconnect(): void;
  /** Resolves once the bot's session has become READY `readyCount` times or RESUMED `resumedCount` times. */
  waitForGateway(what: { ready?: number; resumed?: number }, timeoutMs?: number): Promise<void>;
  /** Makes the next call(s) of `route` ("POST /channels/:id/messages") fail. */
  failNext(route: string, failure: DiscordFailure): void;
  close(): Promise<void>;
}

const DEFAULT_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GfAkE0.rapport-test-token-0123456789abcdefghij";
const DEFAULT_MESSAGES: Record<number, [number, string]> = {
  400: [50035, "Invalid Form Body"],
  401: [0, "401: Unauthorized"],
  403: [50001, "Missing Access"],
  404: [10003, "Unknown Channel"],
  500: [0, "500: Internal Server Error"],
  502: [0, "502: Bad Gateway"],
  503: [0, "503: Service Unavailable"],
};
const PRIVILEGED_MESSAGE_CONTENT = 1 << 15;
const ALL_INTENTS = (1 << 26) - 1;

/** Starts a fake Discord (REST + gateway) on 127.0.0.1 that the real discord.js can log in to. */
export async function startFakeDiscord(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const now = options.now ?? Date.now;
  const token = options.token ?? DEFAULT_TOKEN;
  const ids = new SnowflakeFactory(now);
  const botUser = buildUser({ username: "rapport_bot", globalName: "Rapport", bot: true }, ids);
  const application: FakeApplication = { id: botUser.id, name: "Rapport", flags: 1 << 19 };
  const guild: FakeGuild = {
    id: ids.next(),
    name: "Rapport Test Shop",
    channelId: ids.next(),
    threadId: ids.next(),
  };
  const state = new DiscordState(ids, botUser, guild, now);
  const limits = new RateLimits(now, options.enforceLimits ?? true);
  const calls: DiscordCall[] = [];
  const failures = new Map<string, DiscordFailure[]>();
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  let gatewayUrl = "";

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    // discord.js sends "@original" percent-encoded
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10(?=\/)/, "");
    const method = req.method ?? "GET";
    const authorization = req.headers.authorization;
    const parsed = parseJson(await readText(req));
    const call: DiscordCall = {
      method,
      path,
      body: parsed.ok ? parsed.value : undefined,
      status: 0,
      authorization,
    };
    calls.push(call);
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      if (status === 204) {
        res.writeHead(204, headers).end();
      } else {
        sendJson(res, status, body, headers);
      }
      notify();
    };
    if (!url.pathname.startsWith("/api/v10/")) return answer(404, { message: "404: Not Found", code: 0 });
    const matched = ROUTES.map((r) => ({ r, m: r.method === method ? r.pattern.exec(path) : null })).find(
      (x) => x.m,
    );
    if (matched?.m == null) return answer(404, { message: "404: Not Found", code: 0 });
    const { r: route, m } = matched;
    call.route = route.template;
    if (route.auth && authorization !== `Bot ${token}`)
      return answer(401, { message: "401: Unauthorized", code: 0 });
    const verdict = limits.take(route.bucket, m[1] ?? "");
    const failure = failures.get(route.template)?.shift();
    if (failure?.status === 429 || !verdict.allowed) {
      const seconds = failure?.retryAfter ?? (failure ? 0.5 : verdict.resetAfterMs / 1000);
      const limited = tooManyRequests(seconds, failure?.global ?? false);
      const bucket = limitHeaders(route.bucket, 0, now() + seconds * 1000, seconds * 1000);
      return answer(429, limited.body, { ...bucket, ...limited.headers });
    }
    if (failure !== undefined) {
      const [code, message] = DEFAULT_MESSAGES[failure.status] ?? [0, `${failure.status}: Error`];
      return answer(
        failure.status,
        { message: failure.message ?? message, code: failure.code ?? code },
        verdict.headers,
      );
    }
    if (!parsed.ok) return answer(400, { message: "The request body contains invalid JSON.", code: 50109 });
    try {
      const result = route.handle({ state, application, params: m.slice(1), body: parsed.value, gatewayUrl });
      answer(result.status, result.body, verdict.headers);
    } catch (error) {
      if (!(error instanceof DiscordApiError)) throw error;
      answer(error.status, error.toBody(), verdict.headers);
    }
  }

  const local = await startLocalServer(handle);
  gatewayUrl = `${local.url.replace(/^http/, "ws")}/gateway`;
  const joinedAt = new Date(now()).toISOString();
  const gw = new FakeGateway(local.server, {
    token,
    allowedIntents:
      options.messageContentIntent === false ? ALL_INTENTS & ~PRIVILEGED_MESSAGE_CONTENT : ALL_INTENTS,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    ready: () => ({
      v: 10,
      user: { ...botUser, verified: true, mfa_enabled: false, email: null },
      guilds: [{ id: guild.id, unavailable: true }],
      shard: [0, 1],
      application: { id: application.id, flags: application.flags },
      user_settings: {},
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: ["europe"],
      auth: {},
    }),
    afterReady: () => [{ t: "GUILD_CREATE", d: buildGuildCreate(guild, botUser, joinedAt) }],
    notify,
  });

  function user(input: UserInput = {}): APIUser {
    const known = input.id === undefined ? undefined : state.users.get(input.id);
    const built = buildUser({ ...known, ...input, globalName: input.globalName ?? known?.global_name }, ids);
    state.users.set(built.id, built);
    return built;
  }

  function messageCreate(input: MessageInput): GatewayMessageCreateDispatchData {
    const author = user(input.author);
    const place = input.place ?? "dm";
    const channelId =
      place === "dm" ? state.dmChannelOf(author.id) : place === "thread" ? guild.threadId : guild.channelId;
    const inGuild = place !== "dm";
    const content = input.mentionBot ? `<@${botUser.id}> ${input.content}` : input.content;
    const message = baseMessage({
      id: ids.next(),
      channelId,
      author,
      content,
      timestamp: input.timestamp ?? state.isoNow(),
    });
    const mentions: GatewayMessageCreateDispatchData["mentions"] = [];
    const withMember = (u: APIUser) => (inGuild ? { ...u, member: buildMember(joinedAt) } : u);
    if (input.mentionBot) mentions.push(withMember(botUser));
    if (input.replyTo !== undefined) {
      const referenced = state.messages.get(input.replyTo);
      if (referenced === undefined) throw new Error(`Fake Discord: no message ${input.replyTo} to reply to`);
      message.type = 19;
      message.message_reference = {
        type: 0,
        message_id: referenced.id,
        channel_id: referenced.channel_id,
        ...(inGuild ? { guild_id: guild.id } : {}),
      };
      message.referenced_message = referenced;
      // a reply pings the replied-to author by default
      if (!mentions.some((u) => u.id === referenced.author.id)) mentions.push(withMember(referenced.author));
    }
    state.messages.set(message.id, message);
    const payload: GatewayMessageCreateDispatchData = {
      ...message,
      mentions,
      ...(inGuild ? { guild_id: guild.id, member: buildMember(joinedAt) } : {}),
    };
    gw.dispatch("MESSAGE_CREATE", payload);
    return payload;
  }

  function interactionCreate(input: SlashCommandInput): APIChatInputApplicationCommandInteraction {
    const command = state.commands.find((c) => c.name === input.name);
    const options = Object.entries(input.options ?? {}).map(
      ([name, value]) =>
        ({
          name,
          type:
            typeof value === "number"
              ? Number.isInteger(value)
                ? 4
                : 10
              : typeof value === "boolean"
                ? 5
                : 3,
          value,
        }) as APIApplicationCommandInteractionDataOption,
    );
    const data = {
      id: command?.id ?? ids.next(),
      name: input.name,
      type: 1,
      ...(options.length ? { options } : {}),
    };
    return dispatchInteraction(input, 2, data) as unknown as APIChatInputApplicationCommandInteraction;
  }

  function buttonPress(input: ButtonPressInput): Record<string, unknown> {
    const message = state.messages.get(input.messageId);
    if (message === undefined) throw new Error(`the fake Discord sent no message ${input.messageId}`);
    return dispatchInteraction(input, 3, { custom_id: input.customId, component_type: 2 }, { message });
  }

  function dispatchInteraction(
    input: { user?: UserInput; place?: "dm" | "guild"; locale?: string },
    type: 2 | 3,
    data: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> & { id: string; token: string } {
    const author = user(input.user);
    const place = input.place ?? "guild";
    const channelId = place === "dm" ? state.dmChannelOf(author.id) : guild.channelId;
    const interaction = {
      id: ids.next(),
      application_id: application.id,
      type,
      data,
      ...extra,
      channel_id: channelId,
      channel:
        place === "dm"
          ? { id: channelId, type: 1, last_message_id: null, flags: 0, recipients: [author] }
          : {
              id: channelId,
              type: 0,
              guild_id: guild.id,
              name: "general",
              flags: 0,
              position: 0,
              nsfw: false,
            },
      ...(place === "guild"
        ? {
            guild_id: guild.id,
            guild: { id: guild.id, locale: "en-US", features: [] },
            guild_locale: "en-US",
            member: { ...buildMember(joinedAt), user: author, permissions: "1071698660929" },
          }
        : { user: author }),
      token: `aW50ZXJhY3Rpb24${randomBytes(24).toString("base64url")}`,
      version: 1,
      app_permissions: "1071698660929",
      locale: input.locale ?? "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": place === "guild" ? guild.id : "0" },
      context: place === "guild" ? 0 : 1,
      attachment_size_limit: 10_485_760,
    };
    state.interactions.set(interaction.id, {
      id: interaction.id,
      token: interaction.token,
      channelId,
      at: now(),
      acknowledged: false,
    });
    gw.dispatch("INTERACTION_CREATE", interaction);
    return interaction;
  }

  function until(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!ready()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  }

  return {
    restUrl: `${local.url}/api`,
    gatewayUrl,
    token,
    application,
    botUser,
    guild,
    calls,
    sentMessages: state.sentMessages,
    interactionResponses: state.interactionResponses,
    gateway: gw,
    commands: () => state.commands,
    user,
    messageCreate,
    interactionCreate,
    buttonPress,
    dispatch: (t, d) => gw.dispatch(t, d),
    dropGateway: (code) => gw.drop(code),
    requestReconnect: () => gw.requestReconnect(),
    waitForGateway(what, timeoutMs = 10_000) {
      return until(
        () => gw.readyCount >= (what.ready ?? 0) && gw.resumedCount >= (what.resumed ?? 0),
        timeoutMs,
        `gateway ${JSON.stringify(what)}`,
      );
    },
    failNext(route, failure) {
      if (!ROUTES.some((r) => r.template === route)) {
        throw new Error(
          `Fake Discord: no route "${route}"; known: ${ROUTES.map((r) => r.template).join(", ")}`,
        );
      }
      const queue = failures.get(route) ?? [];
      for (let i = 0; i < (failure.times ?? 1); i++) queue.push(failure);
      failures.set(route, queue);
    },
    async close() {
      await gw.close();
      await local.close();
    },
  };
}
