import { describe, expect, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, midSend } from "./support/expect-once.ts";

describe("chaos 6: two workers race on the same campaign, a third joins mid-send", () => {
  const run = useChaosRun("chaos-race", AUDIENCE);

  it("sends every message once, shared by all three workers", async () => {
    await run.prepare();
    const startedAt = Date.now();
    // both start at once: both campaign clocks see the campaign due and both run its fan-out
    run.startWorker("worker-1", { LOG_LEVEL: "debug" });
    run.startWorker("worker-2", { LOG_LEVEL: "debug" });
    await midSend(run);
    const joinedAt = Date.now();
    const late = run.startWorker("worker-3", { LOG_LEVEL: "debug" });
    run.note(`worker-3 joins: ${JSON.stringify(await run.now())}`);
    const finalAt = await run.allFinal(110_000);
    const verdict = await run.verdict();
    const sentBy = run.workers.map(
      (w) =>
        w.logs.filter(
          (l) => l.msg === "delivery processed" && (l.outcome as { kind?: string }).kind === "sent",
        ).length,
    );
    run.report({
      scenario: "6. two workers racing, a third started mid-send",
      verdict,
      recoverMs: finalAt - joinedAt,
      totalMs: finalAt - startedAt,
      notes: `jobs that sent, per worker (the late one last): ${sentBy.join(", ")}`,
    });

    // a Telegram send cut short (a lock lapsed, a connection lost) is failed unknown_outcome, never resent
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
    // the worker that joined late came up beside the others (its share depends on how soon it was up)
    expect(late.readyAt).toBeDefined();
  });
});
