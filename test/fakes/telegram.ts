import type { IncomingMessage, ServerResponse } from "node:http";
import type { Message, Update, UserFromGetMe } from "grammy/types";
import { dropConnection, sendJson, startLocalServer } from "./http.ts";
import { FloodControl } from "./telegram-limits.ts";
import { Described, METHODS } from "./telegram-methods.ts";
import { type Params, readParams, TelegramApiError } from "./telegram-params.ts";
import { TelegramState } from "./telegram-state.ts";
import {
  buildContactMessage,
  buildTextMessage,
  buildUser,
  type CallbackQueryInput,
  type ContactMessageInput,
  type TextMessageInput,
} from "./telegram-updates.ts";

/** Options for {@link startFakeTelegram}. */
export interface FakeTelegramOptions {
  /** The only token the fake accepts. Defaults to a well-formed test token for bot id 7000000001. */
  token?: string;
  /** The bot's @username, without "@". Defaults to "rapport_test_bot". */
  botUsername?: string;
  /** Answer 429 like a strict Telegram when a sender exceeds 1 msg/s per chat, 20/min per group or 30/s overall. Defaults to false. */
  enforceLimits?: boolean;
  /** Longest a `getUpdates` long poll is held, in ms, whatever `timeout` asks. Defaults to 5 000. */
  maxLongPollMs?: number;
  /** Clock in ms for `date` fields and flood limits. Defaults to `Date.now`. */
  now?: () => number;
}

/** One Bot API request the fake received. */
export interface TelegramCall {
  /** The method as it appeared in the URL, e.g. "sendMessage". */
  method: string;
  params: Params;
  /** When it arrived, from the fake's clock, in ms. */
  at: number;
  /** HTTP status answered; 0 while in flight, -1 when no answer was sent (dropped on purpose, or the client left). */
  status: number;
}

/** A failure to inject with {@link FakeTelegram.failNext}. */
export interface TelegramFailure {
  /** HTTP status and `error_code`, e.g. 429, 502, 403. */
  status: number;
  /** Defaults to Telegram's text for the status, e.g. "Too Many Requests: retry after 3", "Bad Gateway". */
  description?: string;
  /** Seconds, for 429: sent as `parameters.retry_after`. Defaults to 3. */
  retryAfter?: number;
  /** Sends `parameters.migrate_to_chat_id`, as when a group became a supergroup. */
  migrateToChatId?: number;
  /** How many consecutive calls fail. Defaults to 1. */
  times?: number;
  /** Perform the call (the message is sent and recorded), then fail: the caller cannot know it worked. */
  acceptThenFail?: boolean;
  /** Cut the connection instead of answering. */
  dropConnection?: boolean;
  /**
   * Never answer: the connection stays open until the client gives up (a Bot API that hangs). With
   * `acceptThenFail`, the message is sent and recorded first: the answer is what is lost.
   */
  hang?: boolean;
}

/** One attempt to push an update to the registered webhook. */
export interface WebhookDelivery {
  update: Update;
  /** The webhook's HTTP status, or 0 when it could not be reached. */
  status: number;
}

/** A running fake Telegram Bot API server. */
export interface FakeTelegram {
  /** Pass as grammY's `client.apiRoot`. */
  readonly apiRoot: string;
  readonly token: string;
  /** What `getMe` returns. */
  readonly bot: UserFromGetMe;
  /** Every request, in arrival order. */
  readonly calls: TelegramCall[];
  /** Every message the bot sent successfully, in order. */
  readonly sent: Message[];
  /** Every push to a webhook, in order. */
  readonly webhookDeliveries: WebhookDelivery[];
  /** Delivers an update: to a waiting or later `getUpdates`, or POSTed to the webhook if one is set. Keeps a given `update_id`, so redeliveries can be simulated. */
  pushUpdate(update: Update | Omit<Update, "update_id">): Promise<Update>;
  /** Builds (does not push) a text message from a user; "/command" gets a `bot_command` entity, "@name" a `mention`; `replyToMessageId` embeds the message replied to. */
  textUpdate(input: TextMessageInput): Update;
  /** Builds an `edited_message` update for a message the user sent earlier. */
  editedTextUpdate(input: TextMessageInput & { messageId: number }): Update;
  /** Builds a message in which the user shares a phone number. */
  contactUpdate(input: ContactMessageInput): Update;
  /** Builds a `callback_query` for a button under one of the bot's messages; the query id is then answerable. */
  callbackQueryUpdate(input: CallbackQueryInput): Update;
  /** Makes the next call(s) of `method` (case-insensitive) fail. */
  failNext(method: string, failure: TelegramFailure): void;
  /**
   * From now on, `fraction` of the calls of `method` (0 to 1, spread evenly: with 0.05, every twentieth) not
   * already failed by {@link failNext} fail with `failure`; 0 stops it.
   */
  failSome(method: string, fraction: number, failure: TelegramFailure): void;
  /** The user blocked the bot: sends to this chat answer 403. */
  markChatBlocked(chatId: number): void;
  /** Sends to this chat answer 400 "chat not found". */
  markChatUnknown(chatId: number): void;
  /** Sets or clears the webhook directly, as if `setWebhook`/`deleteWebhook` had been called. */
  setWebhookTarget(url: string | undefined, secretToken?: string): void;
  /** Resolves once `count` calls of `method` have been answered. Rejects after `timeoutMs` (default 5 000). */
  waitForCalls(method: string, count?: number, timeoutMs?: number): Promise<TelegramCall[]>;
  /** Resolves once a `getUpdates` long poll is being held open. Rejects after `timeoutMs` (default 5 000). */
  waitForLongPoll(timeoutMs?: number): Promise<void>;
  /** Resolves once `count` messages have been sent in total. Rejects after `timeoutMs` (default 5 000). */
  waitForSent(count: number, timeoutMs?: number): Promise<Message[]>;
  /** Ends waiting long polls and closes every connection. */
  close(): Promise<void>;
}

const DEFAULT_TOKEN = "7000000001:AAFakeTokenForRapportTests-0123456789";
const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden: bot was blocked by the user",
  404: "Not Found",
  409: "Conflict",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function failureError(failure: TelegramFailure): TelegramApiError {
  if (failure.status === 429) {
    const retryAfter = failure.retryAfter ?? 3;
    const description = failure.description ?? `Too Many Requests: retry after ${retryAfter}`;
    return new TelegramApiError(429, description, { retry_after: retryAfter });
  }
  if (failure.migrateToChatId !== undefined) {
    const description = failure.description ?? "Bad Request: group chat was upgraded to a supergroup chat";
    return new TelegramApiError(failure.status, description, { migrate_to_chat_id: failure.migrateToChatId });
  }
  const description = failure.description ?? DEFAULT_DESCRIPTIONS[failure.status] ?? "Internal Server Error";
  return new TelegramApiError(failure.status, description);
}

/** Starts a fake Telegram Bot API on 127.0.0.1 that speaks the real wire format. */
export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const token = options.token ?? DEFAULT_TOKEN;
  const now = options.now ?? Date.now;
  const maxLongPollMs = options.maxLongPollMs ?? 5_000;
  const bot: UserFromGetMe = {
    id: Number(token.split(":")[0]) || 7_000_000_001,
    is_bot: true,
    first_name: "Rapport Test",
    username: options.botUsername ?? "rapport_test_bot",
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
  const state = new TelegramState(bot, now, options.enforceLimits ? new FloodControl(now) : undefined);
  const calls: TelegramCall[] = [];
  const webhookDeliveries: WebhookDelivery[] = [];
  const failures = new Map<string, TelegramFailure[]>();
  const some = new Map<string, { fraction: number; failure: TelegramFailure; seen: number }>();
  /** The failure of the calls {@link FakeTelegram.failSome} picks: one whenever the running share steps up. */
  const sometimes = (method: string): TelegramFailure | undefined => {
    const rule = some.get(method);
    if (rule === undefined) return undefined;
    rule.seen += 1;
    const due = Math.floor(rule.seen * rule.fraction) > Math.floor((rule.seen - 1) * rule.fraction);
    return due ? rule.failure : undefined;
  };
  const listeners = new Set<() => void>();
  let callbackSeq = 0;

  const notify = () => {
    for (const listener of listeners) listener();
  };
  state.onPollWaiting = notify;
  const answered = (call: TelegramCall, status: number) => {
    call.status = status;
    notify();
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const match = /^\/bot([^/]+)\/([A-Za-z0-9_]+)\/?$/.exec(path);
    const handler = match?.[2] === undefined ? undefined : METHODS.get(match[2].toLowerCase());
    if (match?.[1] !== undefined && match[1] !== token) {
      sendJson(res, 401, new TelegramApiError(401, "Unauthorized").toBody());
      return;
    }
    if (match?.[2] === undefined || handler === undefined) {
      sendJson(res, 404, new TelegramApiError(404, "Not Found").toBody());
      return;
    }
    const call: TelegramCall = { method: match[2], params: {}, at: now(), status: 0 };
    calls.push(call);
    const queued = failures.get(call.method.toLowerCase());
    const failure = queued?.shift() ?? sometimes(call.method.toLowerCase());
    const fail = (f: TelegramFailure) => {
      if (f.hang) {
        res.once("close", () => answered(call, -1));
        return;
      }
      if (f.dropConnection) {
        dropConnection(res);
        answered(call, -1);
        return;
      }
      const error = failureError(f);
      sendJson(res, error.status, error.toBody());
      answered(call, error.status);
    };
    const aborted = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborted.abort();
    });
    try {
      call.params = await readParams(req);
      if (failure !== undefined && !failure.acceptThenFail) return fail(failure);
      const outcome = await handler(state, call.params, { signal: aborted.signal, maxLongPollMs });
      if (failure !== undefined) return fail(failure);
      const body =
        outcome instanceof Described
          ? { ok: true, result: outcome.result, description: outcome.description }
          : { ok: true, result: outcome };
      if (res.destroyed) return answered(call, -1);
      sendJson(res, 200, body);
      answered(call, 200);
    } catch (error) {
      if (!(error instanceof TelegramApiError)) throw error;
      sendJson(res, error.status, error.toBody());
      answered(call, error.status);
    }
  }

  const local = await startLocalServer(handle);

  function rememberUpdate(update: Update): void {
    const message = update.message ?? update.edited_message;
    if (message !== undefined) state.remember(message);
    if (update.callback_query !== undefined) state.callbackQueries.add(update.callback_query.id);
  }

  async function deliverToWebhook(update: Update): Promise<void> {
    const hook = state.webhook;
    if (hook === undefined) return;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (hook.secretToken !== undefined) headers["x-telegram-bot-api-secret-token"] = hook.secretToken;
    let status = 0;
    let problem = "Connection refused";
    try {
      const response = await fetch(hook.url, {
        method: "POST",
        headers,
        body: JSON.stringify(update),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      status = response.status;
      problem = `Wrong response from the webhook: ${response.status} ${response.statusText}`;
    } catch {
      // Unreachable webhook: recorded below with Telegram's wording.
    }
    webhookDeliveries.push({ update, status });
    if (status >= 200 && status < 300) return;
    // Telegram keeps an unacknowledged update and reports the error in getWebhookInfo.
    hook.lastErrorDate = state.unixNow();
    hook.lastErrorMessage = problem;
    state.enqueue(update);
  }

  function until<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = ready();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Fake Telegram: timed out after ${timeoutMs} ms waiting for ${what}`));
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
    apiRoot: local.url,
    token,
    bot,
    calls,
    sent: state.sent,
    webhookDeliveries,
    async pushUpdate(input) {
      const update = ("update_id" in input ? input : { ...input, update_id: state.nextUpdateId() }) as Update;
      rememberUpdate(update);
      if (state.webhook !== undefined) await deliverToWebhook(update);
      else state.enqueue(update);
      return update;
    },
    textUpdate(input) {
      const messageId = state.nextMessageId(input.chatId);
      const message = buildTextMessage({ ...input, messageId, date: input.date ?? state.unixNow() });
      if (input.replyToMessageId !== undefined) {
        const original = state.findMessage(input.chatId, input.replyToMessageId);
        if (original === undefined) {
          throw new Error(
            `Fake Telegram: no message ${input.replyToMessageId} in chat ${input.chatId} to reply to`,
          );
        }
        message.reply_to_message = { ...original, reply_to_message: undefined };
      }
      const update: Update = { update_id: state.nextUpdateId(), message };
      rememberUpdate(update);
      return update;
    },
    editedTextUpdate(input) {
      const original = state.findMessage(input.chatId, input.messageId);
      const date = original?.date ?? input.date ?? state.unixNow();
      const edited = { ...buildTextMessage({ ...input, date }), edit_date: state.unixNow() };
      const update: Update = { update_id: state.nextUpdateId(), edited_message: edited };
      rememberUpdate(update);
      return update;
    },
    contactUpdate(input) {
      const messageId = state.nextMessageId(input.chatId);
      const message = buildContactMessage({ ...input, messageId, date: input.date ?? state.unixNow() });
      const update: Update = { update_id: state.nextUpdateId(), message };
      rememberUpdate(update);
      return update;
    },
    callbackQueryUpdate(input) {
      const message =
        input.messageId === undefined
          ? state.sent.findLast((m) => m.chat.id === input.chatId)
          : state.findMessage(input.chatId, input.messageId);
      if (message === undefined) {
        throw new Error(
          `Fake Telegram: no bot message ${input.messageId ?? ""} in chat ${input.chatId} to attach a button press to; send one with an inline keyboard first or pass messageId`,
        );
      }
      callbackSeq += 1;
      const update: Update = {
        update_id: state.nextUpdateId(),
        callback_query: {
          id: String(4_000_000_000_000_000 + callbackSeq),
          from: buildUser(input),
          message,
          chat_instance: String(-7_000_000_000_000 - Math.abs(input.chatId)),
          data: input.data,
        },
      };
      rememberUpdate(update);
      return update;
    },
    failNext(method, failure) {
      const key = method.toLowerCase();
      const list = failures.get(key) ?? [];
      for (let i = 0; i < (failure.times ?? 1); i += 1) list.push(failure);
      failures.set(key, list);
    },
    failSome(method, fraction, failure) {
      if (fraction > 0) some.set(method.toLowerCase(), { fraction, failure, seen: 0 });
      else some.delete(method.toLowerCase());
    },
    markChatBlocked: (chatId) => void state.blocked.add(chatId),
    markChatUnknown: (chatId) => void state.unknown.add(chatId),
    setWebhookTarget(url, secretToken) {
      state.webhook =
        url === undefined
          ? undefined
          : { url, maxConnections: 40, ...(secretToken === undefined ? {} : { secretToken }) };
      state.poll?.terminate();
    },
    waitForCalls(method, count = 1, timeoutMs = 5_000) {
      const matching = () =>
        calls.filter((c) => c.method.toLowerCase() === method.toLowerCase() && c.status !== 0);
      return until(
        () => (matching().length >= count ? matching() : undefined),
        timeoutMs,
        `${count} ${method} call(s)`,
      );
    },
    waitForLongPoll(timeoutMs = 5_000) {
      return until(() => (state.poll === undefined ? undefined : true), timeoutMs, "a held getUpdates").then(
        () => {},
      );
    },
    waitForSent(count, timeoutMs = 5_000) {
      return until(
        () => (state.sent.length >= count ? state.sent : undefined),
        timeoutMs,
        `${count} sent message(s)`,
      );
    },
    async close() {
      state.poll?.wake();
      await new Promise((resolve) => setImmediate(resolve));
      await local.close();
    },
  };
}
