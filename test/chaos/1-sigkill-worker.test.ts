import { describe, expect, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, midSend, telegramDuplicates } from "./support/expect-once.ts";

describe("chaos 1: a worker is killed with SIGKILL mid-send", () => {
  const run = useChaosRun("chaos-sigkill", AUDIENCE);

  it("hands the dead worker's jobs to the other and sends every message once", async () => {
    await run.prepare();
    const startedAt = Date.now();
    const victim = run.startWorker("worker-1");
    run.startWorker("worker-2");
    await midSend(run);
    await run.kill9(victim);
    const killedAt = Date.now();
    run.note(`SIGKILL worker-1: ${JSON.stringify(await run.now())}`);
    const finalAt = await run.allFinal(110_000);
    const verdict = await run.verdict();
    // Telegram has no idempotency key: a message Telegram took in the instant before the kill, whose answer
    // the dead worker never recorded, is sent again by the job's next run
    const twice = telegramDuplicates(run);
    run.report({
      scenario: "1. SIGKILL a worker",
      verdict,
      recoverMs: finalAt - killedAt,
      totalMs: finalAt - startedAt,
      notes: twice.length
        ? `${twice.length} Telegram message(s) answered as the worker died, sent again`
        : "",
    });
    for (const { calls } of twice) expect(calls[0]!.at).toBeLessThanOrEqual(killedAt);
    await expectExactlyOnce(run, {
      ...verdict,
      duplicates: verdict.duplicates - twice.length,
      problems: verdict.problems.filter((p) => !p.startsWith("chat ")),
    });
  });
});
