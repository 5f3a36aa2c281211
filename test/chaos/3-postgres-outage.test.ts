import { describe, expect, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, midSend, telegramDuplicates } from "./support/expect-once.ts";

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
    // Telegram has no idempotency key: a message Telegram took while the database was gone could not be
    // recorded sent, and the job's next run sends it again
    const twice = telegramDuplicates(run);
    run.report({
      scenario: "3. PostgreSQL unreachable 10 s (TCP proxy cut)",
      verdict,
      recoverMs: finalAt - healedAt,
      totalMs: finalAt - startedAt,
      notes: `${run.proxy.stats.refused} connections refused during the cut, ${await run.failedTicks()} campaign clock ticks failed (the next tick catches up)${twice.length ? `; ${twice.length} Telegram message(s) sent as the database went away, sent again` : ""}`,
    });
    for (const { calls } of twice) expect(calls[0]!.at).toBeLessThanOrEqual(healedAt);
    await expectExactlyOnce(run, {
      ...verdict,
      duplicates: verdict.duplicates - twice.length,
      problems: verdict.problems.filter((p) => !p.startsWith("chat ")),
    });
  });
});
