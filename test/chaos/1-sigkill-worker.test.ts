import { describe, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, midSend } from "./support/expect-once.ts";

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
    run.report({
      scenario: "1. SIGKILL a worker",
      verdict,
      recoverMs: finalAt - killedAt,
      totalMs: finalAt - startedAt,
      notes: verdict.unknown
        ? `${verdict.unknown} Telegram message(s) in flight as the worker died: failed unknown_outcome, not sent again (${verdict.unknownDelivered} had reached Telegram)`
        : "",
    });
    // Telegram has no idempotency key: a message the dead worker had begun to send is never sent again
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
  });
});
