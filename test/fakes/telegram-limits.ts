/** Telegram's documented broadcast limits, enforced strictly so a test can prove a sender stays under them. */
export const TELEGRAM_LIMITS = {
  /** At most one message per second into one private chat. */
  perPrivateChat: { max: 1, windowMs: 1_000 },
  /** At most 20 messages per minute into one group. */
  perGroup: { max: 20, windowMs: 60_000 },
  /** At most 30 messages per second overall. */
  global: { max: 30, windowMs: 1_000 },
} as const;

/** Sliding-window flood control keyed by chat, plus a global window. */
export class FloodControl {
  private readonly global: number[] = [];
  private readonly perChat = new Map<number, number[]>();

  constructor(private readonly now: () => number) {}

  /** Seconds to wait before a message to `chatId` is allowed, or 0 if it may go now. */
  retryAfter(chatId: number): number {
    const at = this.now();
    const chatLimit = chatId < 0 ? TELEGRAM_LIMITS.perGroup : TELEGRAM_LIMITS.perPrivateChat;
    const waits = [
      waitFor(this.global, TELEGRAM_LIMITS.global, at),
      waitFor(this.perChat.get(chatId) ?? [], chatLimit, at),
    ];
    const waitMs = Math.max(...waits);
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1_000)) : 0;
  }

  /** Counts one delivered message to `chatId`. */
  record(chatId: number): void {
    const at = this.now();
    this.global.push(at);
    const chat = this.perChat.get(chatId) ?? [];
    chat.push(at);
    this.perChat.set(chatId, chat);
  }
}

function waitFor(times: number[], limit: { max: number; windowMs: number }, at: number): number {
  const recent = times.filter((t) => t > at - limit.windowMs);
  if (recent.length < limit.max) return 0;
  // The window frees up when the oldest message that still counts slides out of it.
  const oldestCounting = recent[recent.length - limit.max] ?? at;
  return oldestCounting + limit.windowMs - at;
}
