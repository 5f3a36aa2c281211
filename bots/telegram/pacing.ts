import { type Clock, systemClock } from "../../lib/clock.ts";
import { TransientSendError } from "../../lib/errors.ts";

/** Options for {@link createChatPacer}. */
export interface ChatPacerOptions {
  /** Gap between two messages to one private chat, in ms. Defaults to 1 000 (Telegram: 1 msg/s per chat). */
  privateIntervalMs?: number;
  /** Gap between two messages to one group or channel, in ms. Defaults to 3 000 (Telegram: 20 msg/min). */
  groupIntervalMs?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Waits `ms`. Defaults to a timer; tests pass one that advances a manual clock. */
  wait?: (ms: number) => Promise<void>;
}

/** Runs sends to one chat one after another, spaced by that chat's interval. Different chats never wait on each other. */
export interface ChatPacer {
  /**
   * Runs `send` in its turn. Aborting `signal` before the turn came gives up at once with a
   * `TransientSendError` that says the message was never sent; once `send` has started, it runs on.
   */
  run<T>(chatId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

const realWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Past this many remembered chats, the ones idle longer than an interval are forgotten. */
const PRUNE_ABOVE = 1_000;

/**
 * Keeps one process from bursting into one chat. Sends to a chat run in order, each at least the chat's
 * interval after the previous one finished (groups — ids starting with "-" or "@" — have the longer
 * interval). It paces one process only: several workers sending to one chat can still draw a 429, which
 * the channel reports as `RateLimitedError` with Telegram's `retry_after`.
 */
export function createChatPacer(options: ChatPacerOptions = {}): ChatPacer {
  const clock = options.clock ?? systemClock;
  const wait = options.wait ?? realWait;
  const privateMs = options.privateIntervalMs ?? 1_000;
  const groupMs = options.groupIntervalMs ?? 3_000;
  const lastSent = new Map<string, number>();
  const queues = new Map<string, Promise<unknown>>();
  const intervalOf = (chatId: string) => (/^[-@]/.test(chatId) ? groupMs : privateMs);

  const prune = () => {
    if (lastSent.size <= PRUNE_ABOVE) return;
    const idleSince = clock.now() - Math.max(privateMs, groupMs);
    for (const [chatId, at] of lastSent) if (at < idleSince && !queues.has(chatId)) lastSent.delete(chatId);
  };

  return {
    run<T>(chatId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const previous = queues.get(chatId) ?? Promise.resolve();
      let started = false;
      const givenUp = () =>
        new TransientSendError(
          `Telegram: not sent, given up while waiting its turn in chat ${chatId}`,
          { channel: "telegram" },
          true,
        );
      const turn = previous.then(async () => {
        const last = lastSent.get(chatId);
        const delay = last === undefined ? 0 : last + intervalOf(chatId) - clock.now();
        if (delay > 0) await wait(delay);
        if (signal?.aborted) throw givenUp();
        started = true;
        try {
          return await send();
        } finally {
          // counted from when Telegram answered, which is never earlier than when it counted the message
          lastSent.set(chatId, clock.now());
        }
      });
      const settled = turn.then(
        () => {},
        () => {},
      );
      queues.set(chatId, settled);
      void settled.then(() => {
        if (queues.get(chatId) === settled) queues.delete(chatId);
        prune();
      });
      if (!signal) return turn;
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          if (!started) reject(givenUp());
        };
        signal.addEventListener("abort", onAbort, { once: true });
        turn.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    },
  };
}
