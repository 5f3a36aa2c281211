import type { BotCommand, Chat, MenuButton, Message, Update, UserFromGetMe } from "grammy/types";
import type { FloodControl } from "./telegram-limits.ts";

/** Update kinds Telegram withholds unless `allowed_updates` names them explicitly. */
const OPT_IN_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/** Where the fake pushes updates while a webhook is set. */
export interface WebhookTarget {
  url: string;
  secretToken?: string;
  maxConnections: number;
  allowedUpdates?: string[];
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

/** A long-poll `getUpdates` request that is waiting for an update. */
export interface PendingPoll {
  wake(): void;
  terminate(): void;
}

/** Everything the fake remembers about the bot's world; the method handlers read and change it. */
export class TelegramState {
  /** Updates not yet confirmed with `offset`, in `update_id` order. */
  readonly queue: Update[] = [];
  allowedUpdates: string[] | undefined;
  webhook: WebhookTarget | undefined;
  poll: PendingPoll | undefined;
  /** Called whenever a long poll starts waiting. */
  onPollWaiting: () => void = () => {};
  readonly chats = new Map<number, Chat>();
  readonly blocked = new Set<number>();
  readonly unknown = new Set<number>();
  readonly messages = new Map<number, Map<number, Message>>();
  readonly sent: Message[] = [];
  readonly callbackQueries = new Set<string>();
  readonly commands = new Map<string, BotCommand[]>();
  readonly menuButtons = new Map<string, MenuButton>();
  private lastUpdateId = 100_000_000;
  private readonly lastMessageId = new Map<number, number>();

  constructor(
    readonly bot: UserFromGetMe,
    readonly nowMs: () => number,
    readonly flood: FloodControl | undefined,
  ) {}

  /** Unix time in seconds, as in every Bot API `date`. */
  unixNow(): number {
    return Math.floor(this.nowMs() / 1_000);
  }

  /** Update ids increase by one, as Telegram's do. */
  nextUpdateId(): number {
    this.lastUpdateId += 1;
    return this.lastUpdateId;
  }

  /** Message ids count up per chat, shared by the user's and the bot's messages, as in Telegram. */
  nextMessageId(chatId: number): number {
    const id = (this.lastMessageId.get(chatId) ?? 0) + 1;
    this.lastMessageId.set(chatId, id);
    return id;
  }

  /** Records a message (and its chat) so later replies, edits and button presses can find it. */
  remember(message: Message): void {
    this.chats.set(message.chat.id, message.chat);
    const inChat = this.messages.get(message.chat.id) ?? new Map<number, Message>();
    inChat.set(message.message_id, message);
    this.messages.set(message.chat.id, inChat);
  }

  /** A message in a chat, from either side. */
  findMessage(chatId: number, messageId: number): Message | undefined {
    return this.messages.get(chatId)?.get(messageId);
  }

  /** Queues an update in `update_id` order and wakes a waiting long poll. */
  enqueue(update: Update): void {
    const at = this.queue.findIndex((queued) => queued.update_id > update.update_id);
    if (at === -1) this.queue.push(update);
    else this.queue.splice(at, 0, update);
    this.poll?.wake();
  }

  /** Forgets updates below `offset`; a negative offset keeps only the last `-offset` updates. */
  confirm(offset: number | undefined): void {
    if (offset === undefined) return;
    const keepFrom =
      offset < 0
        ? Math.max(0, this.queue.length + offset)
        : this.queue.findIndex((u) => u.update_id >= offset);
    this.queue.splice(0, keepFrom === -1 ? this.queue.length : keepFrom);
  }

  /** Up to `limit` queued updates the bot asked for; unwanted kinds are dropped, as Telegram does. */
  deliverable(limit: number): Update[] {
    const allowed = this.allowedUpdates;
    const wanted = (u: Update) => {
      const kind = Object.keys(u).find((key) => key !== "update_id") ?? "";
      return allowed === undefined || allowed.length === 0
        ? !OPT_IN_UPDATES.has(kind)
        : allowed.includes(kind);
    };
    for (let i = this.queue.length - 1; i >= 0; i -= 1) {
      const update = this.queue[i];
      if (update !== undefined && !wanted(update)) this.queue.splice(i, 1);
    }
    return this.queue.slice(0, limit);
  }

  /** The chat `chatId` names, or why Telegram would refuse to write there. */
  chatFor(chatId: number | string): Chat | { error: 400 | 403 } {
    if (typeof chatId === "string" || this.unknown.has(chatId)) return { error: 400 };
    if (this.blocked.has(chatId)) return { error: 403 };
    const known = this.chats.get(chatId);
    if (known !== undefined) return known;
    if (chatId > 0) return { id: chatId, type: "private", first_name: "Ada" };
    const type = String(chatId).startsWith("-100") ? "supergroup" : "group";
    return { id: chatId, type, title: "Test group" };
  }
}
