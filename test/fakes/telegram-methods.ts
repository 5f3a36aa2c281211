import type {
  BotCommand,
  Chat,
  InlineKeyboardMarkup,
  MenuButton,
  Message,
  MessageEntity,
  WebhookInfo,
} from "grammy/types";
import { parseTelegramHtml, TelegramParseError } from "./telegram-html.ts";
import {
  badRequest,
  boolParam,
  chatIdParam,
  intParam,
  jsonParam,
  type Params,
  stringParam,
  TelegramApiError,
} from "./telegram-params.ts";
import type { TelegramState } from "./telegram-state.ts";

/** What a handler needs besides the state: the request's abort signal and the long-poll cap. */
export interface CallContext {
  signal: AbortSignal;
  maxLongPollMs: number;
}

/** A successful result with the `description` Telegram adds to some answers. */
export class Described {
  constructor(
    readonly result: unknown,
    readonly description: string,
  ) {}
}

type Handler = (state: TelegramState, params: Params, ctx: CallContext) => unknown;

const MAX_TEXT_LENGTH = 4096;
const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

/** Resolves `chat_id` to a chat the bot may write to, or throws Telegram's refusal. */
function writableChat(state: TelegramState, params: Params): Chat {
  const chatId = chatIdParam(params.chat_id);
  if (chatId === undefined) throw badRequest("chat_id is empty");
  const chat = state.chatFor(chatId);
  if (!("error" in chat)) return chat;
  if (chat.error === 400) throw badRequest("chat not found");
  const why =
    typeof chatId === "number" && chatId < 0
      ? "bot was kicked from the group chat"
      : "bot was blocked by the user";
  throw new TelegramApiError(403, `Forbidden: ${why}`);
}

/** Text and entities as Telegram stores them after applying `parse_mode` or explicit `entities`. */
function formattedText(params: Params): { text: string; entities: MessageEntity[] } {
  const raw = stringParam(params.text) ?? "";
  if (raw.trim() === "") throw badRequest("message text is empty");
  let text = raw;
  let entities = jsonParam<MessageEntity[]>(params.entities, "entities") ?? [];
  if (stringParam(params.parse_mode)?.toLowerCase() === "html") {
    try {
      ({ text, entities } = parseTelegramHtml(raw));
    } catch (error) {
      if (error instanceof TelegramParseError)
        throw badRequest(error.description.replace("Bad Request: ", ""));
      throw error;
    }
    if (text.trim() === "") throw badRequest("message text is empty");
  }
  if (text.length > MAX_TEXT_LENGTH) throw badRequest("message is too long");
  return { text, entities };
}

/** Only inline keyboards are echoed back in a Message; reply keyboards are not, as in Telegram. */
function inlineMarkup(params: Params): InlineKeyboardMarkup | undefined {
  const markup = jsonParam<Partial<InlineKeyboardMarkup>>(params.reply_markup, "reply_markup");
  return markup?.inline_keyboard === undefined ? undefined : { inline_keyboard: markup.inline_keyboard };
}

function replyTarget(state: TelegramState, chatId: number, params: Params): Message | undefined {
  const reply = jsonParam<{ message_id?: number; allow_sending_without_reply?: boolean }>(
    params.reply_parameters,
    "reply_parameters",
  );
  const messageId = reply?.message_id ?? intParam(params.reply_to_message_id);
  if (messageId === undefined) return undefined;
  const original = state.findMessage(chatId, messageId);
  if (original === undefined && reply?.allow_sending_without_reply !== true) {
    throw badRequest("message to be replied not found");
  }
  return original;
}

const sendMessage: Handler = (state, params) => {
  const chat = writableChat(state, params);
  const { text, entities } = formattedText(params);
  const replyTo = replyTarget(state, chat.id, params);
  const retryAfter = state.flood?.retryAfter(chat.id) ?? 0;
  if (retryAfter > 0) {
    throw new TelegramApiError(429, `Too Many Requests: retry after ${retryAfter}`, {
      retry_after: retryAfter,
    });
  }
  const { is_bot, first_name, username, id } = state.bot;
  const message: Message.TextMessage = {
    message_id: state.nextMessageId(chat.id),
    from: { id, is_bot, first_name, username },
    chat,
    date: state.unixNow(),
    text,
  };
  if (entities.length > 0) message.entities = entities;
  const markup = inlineMarkup(params);
  if (markup !== undefined) message.reply_markup = markup;
  if (replyTo !== undefined) message.reply_to_message = { ...replyTo, reply_to_message: undefined };
  state.flood?.record(chat.id);
  state.remember(message);
  state.sent.push(message);
  return message;
};

const editMessageText: Handler = (state, params) => {
  if (params.inline_message_id !== undefined)
    throw badRequest("inline messages are not supported by the fake");
  const chat = writableChat(state, params);
  const messageId = intParam(params.message_id);
  if (messageId === undefined) throw badRequest("message identifier is not specified");
  const original = state.findMessage(chat.id, messageId);
  if (original === undefined) throw badRequest("message to edit not found");
  if (original.from?.id !== state.bot.id) throw badRequest("message can't be edited");
  const { text, entities } = formattedText(params);
  const markup = inlineMarkup(params);
  if (
    original.text === text &&
    JSON.stringify(original.reply_markup) === JSON.stringify(markup) &&
    JSON.stringify(original.entities ?? []) === JSON.stringify(entities)
  ) {
    throw badRequest(
      "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );
  }
  const edited: Message = { ...original, text, edit_date: state.unixNow(), entities, reply_markup: markup };
  if (entities.length === 0) delete edited.entities;
  if (markup === undefined) delete edited.reply_markup;
  state.remember(edited);
  return edited;
};

const deleteMessage: Handler = (state, params) => {
  const chat = writableChat(state, params);
  const messageId = intParam(params.message_id);
  if (messageId === undefined || !state.messages.get(chat.id)?.delete(messageId)) {
    throw badRequest("message to delete not found");
  }
  return true;
};

const getUpdates: Handler = async (state, params, ctx) => {
  if (state.webhook !== undefined) {
    throw new TelegramApiError(
      409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
  }
  state.poll?.terminate();
  state.confirm(intParam(params.offset));
  const allowed = jsonParam<string[]>(params.allowed_updates, "allowed_updates");
  if (allowed !== undefined) state.allowedUpdates = allowed;
  const limit = Math.min(100, Math.max(1, intParam(params.limit) ?? 100));
  const timeoutMs = Math.min((intParam(params.timeout) ?? 0) * 1_000, ctx.maxLongPollMs);
  if (state.deliverable(limit).length > 0 || timeoutMs <= 0) return state.deliverable(limit);
  const outcome = await new Promise<"woken" | "terminated">((resolve) => {
    const finish = (how: "woken" | "terminated") => {
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
      if (state.poll === poll) state.poll = undefined;
      resolve(how);
    };
    const onAbort = () => finish("woken");
    const timer = setTimeout(() => finish("woken"), timeoutMs);
    const poll = { wake: () => finish("woken"), terminate: () => finish("terminated") };
    state.poll = poll;
    if (ctx.signal.aborted) finish("woken");
    else ctx.signal.addEventListener("abort", onAbort, { once: true });
    state.onPollWaiting();
  });
  if (outcome === "terminated") {
    throw new TelegramApiError(
      409,
      "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    );
  }
  return state.deliverable(limit);
};

const setWebhook: Handler = (state, params) => {
  const url = stringParam(params.url) ?? "";
  if (boolParam(params.drop_pending_updates) === true) state.queue.length = 0;
  if (url === "") {
    state.webhook = undefined;
    return new Described(true, "Webhook was deleted");
  }
  if (!/^https?:\/\//.test(url)) throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
  const secretToken = stringParam(params.secret_token);
  if (secretToken !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken)) {
    throw badRequest("secret token contains unallowed characters");
  }
  const allowedUpdates = jsonParam<string[]>(params.allowed_updates, "allowed_updates");
  state.webhook = {
    url,
    maxConnections: intParam(params.max_connections) ?? 40,
    ...(secretToken === undefined ? {} : { secretToken }),
    ...(allowedUpdates === undefined ? {} : { allowedUpdates }),
  };
  if (allowedUpdates !== undefined) state.allowedUpdates = allowedUpdates;
  state.poll?.terminate();
  return new Described(true, "Webhook was set");
};

const deleteWebhook: Handler = (state, params) => {
  if (boolParam(params.drop_pending_updates) === true) state.queue.length = 0;
  const wasSet = state.webhook !== undefined;
  state.webhook = undefined;
  return new Described(true, wasSet ? "Webhook was deleted" : "Webhook is already deleted");
};

const getWebhookInfo: Handler = (state) => {
  const hook = state.webhook;
  const info: WebhookInfo = {
    url: hook?.url ?? "",
    has_custom_certificate: false,
    pending_update_count: state.queue.length,
  };
  if (hook === undefined) return info;
  info.max_connections = hook.maxConnections;
  info.ip_address = "127.0.0.1";
  if (hook.allowedUpdates !== undefined) {
    info.allowed_updates = hook.allowedUpdates as WebhookInfo["allowed_updates"];
  }
  if (hook.lastErrorDate !== undefined) info.last_error_date = hook.lastErrorDate;
  if (hook.lastErrorMessage !== undefined) info.last_error_message = hook.lastErrorMessage;
  return info;
};

function commandsKey(params: Params): string {
  const scope = jsonParam<{ type: string }>(params.scope, "scope") ?? { type: "default" };
  return `${JSON.stringify(scope)}|${stringParam(params.language_code) ?? ""}`;
}

const setMyCommands: Handler = (state, params) => {
  const commands = jsonParam<BotCommand[]>(params.commands, "commands");
  if (!Array.isArray(commands)) throw badRequest('parameter "commands" is required');
  if (commands.length > 100) throw badRequest("BOT_COMMANDS_TOO_MUCH");
  for (const { command, description } of commands) {
    if (typeof command !== "string" || !/^[a-z0-9_]{1,32}$/.test(command))
      throw badRequest("BOT_COMMAND_INVALID");
    if (typeof description !== "string" || description.length < 1 || description.length > 256) {
      throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
    }
  }
  state.commands.set(
    commandsKey(params),
    commands.map(({ command, description }) => ({ command, description })),
  );
  return true;
};

const chatAction: Handler = (state, params) => {
  writableChat(state, params);
  if (!CHAT_ACTIONS.has(stringParam(params.action) ?? ""))
    throw badRequest("wrong parameter action in request");
  return true;
};

const answerCallbackQuery: Handler = (state, params) => {
  const id = stringParam(params.callback_query_id);
  if (id === undefined || !state.callbackQueries.delete(id)) {
    throw badRequest("query is too old and response timeout expired or query ID is invalid");
  }
  return true;
};

const menuKey = (params: Params) => String(chatIdParam(params.chat_id) ?? "default");

/** Every Bot API method the fake implements, keyed by lower-case name: Telegram ignores case. */
export const METHODS: ReadonlyMap<string, Handler> = new Map<string, Handler>(
  Object.entries({
    getMe: (state) => state.bot,
    getUpdates,
    setWebhook,
    deleteWebhook,
    getWebhookInfo,
    sendMessage,
    editMessageText,
    deleteMessage,
    sendChatAction: chatAction,
    answerCallbackQuery,
    setMyCommands,
    getMyCommands: (state, params) => state.commands.get(commandsKey(params)) ?? [],
    deleteMyCommands: (state, params) => {
      state.commands.delete(commandsKey(params));
      return true;
    },
    setChatMenuButton: (state, params) => {
      const button = jsonParam<MenuButton>(params.menu_button, "menu_button") ?? { type: "default" };
      state.menuButtons.set(menuKey(params), button);
      return true;
    },
    getChatMenuButton: (state, params) => state.menuButtons.get(menuKey(params)) ?? { type: "default" },
    setMyDescription: () => true,
    setMyShortDescription: () => true,
    setMyName: () => true,
  } satisfies Record<string, Handler>).map(([name, handler]) => [name.toLowerCase(), handler]),
);
