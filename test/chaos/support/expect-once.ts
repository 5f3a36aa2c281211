import { expect } from "vitest";
import type { ChaosRun } from "./chaos-run.ts";
import { AUDIENCE, TOTAL } from "./scale.ts";
import type { Verdict } from "./verdict.ts";

export { AUDIENCE, DEFAULT_SCALE, SCALE, TOTAL } from "./scale.ts";

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
    200,
  );
}

/**
 * The promise of every scenario: each planned message reached its provider at most once (per recipient, per
 * idempotency key) and none is lost; every email Delivery is `sent` naming the provider's email (exactly once:
 * Resend's idempotency key makes a resend harmless); every Telegram Delivery is `sent` naming its message or,
 * where the scenario's fault can lose an answer (`unknownAllowed`), `failed` as unknown_outcome (Telegram has
 * no idempotency key, so the engine never sends such a message again); no job failed for good.
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
