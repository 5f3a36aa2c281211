import { describe, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, TOTAL } from "./support/expect-once.ts";

describe("chaos 5: the providers answer 5xx and 429 in bursts", () => {
  const run = useChaosRun("chaos-bursts", AUDIENCE);

  it("backs off, waits out the rate limits, and every message goes out once", async () => {
    await run.prepare();
    const startedAt = Date.now();
    run.startWorker("worker-1");
    run.startWorker("worker-2");
    await run.until(
      "the fan-out to queue the whole campaign",
      async () => (await run.now()).queued >= TOTAL,
      90_000,
    );
    // a burst every 2 s while the campaign sends, alternating: Resend 500s and Telegram 502s, then 429s from both
    // (retry-after 1 s); a new burst only once the calls have used up the last one, so none piles up
    const faultFrom = Date.now();
    let bursts = 0;
    let kind = 0;
    const seen = { resend: -1, telegram: -1 };
    const burst = setInterval(() => {
      kind += 1;
      const resendCalls = run.resend.requests.length;
      if (resendCalls >= seen.resend + 4) {
        seen.resend = resendCalls;
        bursts += 1;
        run.resend.failNext(kind % 2 ? { status: 500, times: 4 } : { status: 429, retryAfter: 1, times: 4 });
      }
      const telegramCalls = run.telegram.calls.length;
      if (telegramCalls >= seen.telegram + 10) {
        seen.telegram = telegramCalls;
        bursts += 1;
        run.telegram.failNext(
          "sendMessage",
          kind % 2 ? { status: 502, times: 10 } : { status: 429, retryAfter: 1, times: 10 },
        );
      }
    }, 2_000);
    let finalAt: number;
    try {
      finalAt = await run.allFinal(115_000);
    } finally {
      clearInterval(burst);
    }
    const verdict = await run.verdict();
    const refused = {
      resend5xx: run.resend.requests.filter((r) => r.status >= 500).length,
      resend429: run.resend.requests.filter((r) => r.status === 429).length,
      telegram5xx: run.telegram.calls.filter((c) => c.status >= 500).length,
      telegram429: run.telegram.calls.filter((c) => c.status === 429).length,
    };
    run.report({
      scenario: "5. provider 5xx and 429 bursts",
      verdict,
      recoverMs: finalAt - faultFrom,
      totalMs: finalAt - startedAt,
      notes: `fault on for the whole send, ${bursts} bursts: Resend ${refused.resend5xx} × 5xx, ${refused.resend429} × 429; Telegram ${refused.telegram5xx} × 5xx, ${refused.telegram429} × 429`,
    });
    // a Telegram send cut short (a lock lapsed, a connection lost) is failed unknown_outcome, never resent
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
  });
});
