import { describe, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, midSend } from "./support/expect-once.ts";

const OUTAGE_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("chaos 3: PostgreSQL unreachable for 10 s mid-send", () => {
  const run = useChaosRun("chaos-postgres", AUDIENCE);

  it("the workers ride out the outage and every message goes out once", async () => {
    await run.prepare();
    const startedAt = Date.now();
    run.startWorker("worker-1");
    run.startWorker("worker-2");
    await midSend(run);
    run.proxy.cut();
    const cutAt = Date.now();
    run.note(`PostgreSQL cut: ${JSON.stringify({ ...(await run.now().catch(() => ({}))) })}`);
    await sleep(OUTAGE_MS);
    run.proxy.heal();
    const healedAt = Date.now();
    run.note(`PostgreSQL back after ${healedAt - cutAt} ms, ${run.proxy.stats.refused} connections refused`);
    const finalAt = await run.allFinal(110_000);
    const verdict = await run.verdict();
    run.report({
      scenario: "3. PostgreSQL unreachable 10 s (TCP proxy cut)",
      verdict,
      recoverMs: finalAt - healedAt,
      totalMs: finalAt - startedAt,
      notes: `${run.proxy.stats.refused} connections refused during the cut, ${await run.failedTicks()} campaign clock ticks failed (the next tick catches up)${verdict.unknown ? `; ${verdict.unknown} Telegram message(s) whose send had begun as the database went away: failed unknown_outcome, not sent again (${verdict.unknownDelivered} had reached Telegram)` : ""}`,
    });
    // a Telegram send begun (its start recorded) whose outcome the lost connection hid is never sent again
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
  });
});
