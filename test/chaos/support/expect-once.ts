import { expect } from "vitest";
import type { ChaosRun } from "./chaos-run.ts";
import type { Verdict } from "./verdict.ts";

/**
 * The audience of every scenario: most of it by email (batches of 100), a Telegram share sized to the engine's
 * 25 messages/s. CHAOS_SCALE (e.g. 0.2) shrinks it while working on the suite; the suite itself runs at 1.
 */
const SCALE = Number(process.env.CHAOS_SCALE ?? 1);
export const AUDIENCE = {
  email: Math.round(9_500 * SCALE),
  telegram: Math.round(500 * SCALE),
} as const;

/** Total messages of a scenario. */
export const TOTAL = AUDIENCE.email + AUDIENCE.telegram;

/** Mid-send: the fan-out has queued everything, a quarter is sent, and both channels are under way. */
export async function midSend(run: ChaosRun): Promise<void> {
  await run.until(
    "a quarter of the campaign to be sent on both channels",
    async () => {
      const now = await run.now();
      if (now.final >= TOTAL) throw new Error("the campaign ended before the fault: nothing left to disturb");
      return now.queued === TOTAL && now.sent >= TOTAL / 4 && now.chats >= AUDIENCE.telegram / 5;
    },
    90_000,
    50,
  );
}

/**
 * The promise of every scenario: each planned message reached its provider exactly once (per recipient, per
 * idempotency key), none lost, every Delivery `sent` and naming the provider's message, no job failed for good.
 * `unknown` Telegram messages (sent once or never, and saying so) are allowed only where the scenario expects them.
 */
export async function expectExactlyOnce(
  run: ChaosRun,
  verdict: Verdict,
  options: { unknownAllowed?: boolean } = {},
): Promise<void> {
  expect(await run.failedJobs()).toEqual([]);
  expect(verdict.messages).toBe(TOTAL);
  expect(verdict.problems).toEqual([]);
  expect(verdict.duplicates).toBe(0);
  expect(verdict.lost).toBe(0);
  if (!options.unknownAllowed) expect(verdict.unknown).toBe(0);
  expect(verdict.sent + verdict.unknown).toBe(TOTAL);
}

/**
 * Telegram chats that got more than one message, each with the times (ms, the fake's clock) of the
 * sendMessage calls it received. Telegram has no idempotency key: a message whose answer or record was lost
 * is sent again, so a scenario says which duplicates its fault explains.
 */
export function telegramDuplicates(
  run: ChaosRun,
): Array<{ chat: string; calls: Array<{ at: number; status: number }> }> {
  const byChat = new Map<string, Array<{ at: number; status: number }>>();
  for (const call of run.telegram.calls) {
    if (call.method.toLowerCase() !== "sendmessage") continue;
    const chat = String(call.params.chat_id);
    byChat.set(chat, [...(byChat.get(chat) ?? []), { at: call.at, status: call.status }]);
  }
  const sentTo = new Map<string, number>();
  for (const m of run.telegram.sent) sentTo.set(String(m.chat.id), (sentTo.get(String(m.chat.id)) ?? 0) + 1);
  return [...sentTo].filter(([, n]) => n > 1).map(([chat]) => ({ chat, calls: byChat.get(chat) ?? [] }));
}
