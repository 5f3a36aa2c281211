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
    // an outage every 3 s while the campaign sends, as providers have them: for 0.8 s every call fails,
    // alternating Resend 500s and Telegram 502s, then 429s from both (retry-after 1 s); the rest of the 3 s
    // the providers answer. A burst is a span of time, not a count of calls: a count re-armed forever would
    // fail the campaign's last job on every try, which no provider does.
    const faultFrom = Date.now();
    const BURST_MS = 800;
    let bursts = 0;
    let ending: NodeJS.Timeout | undefined;
    const burst = setInterval(() => {
      bursts += 1;
      const rateLimited = bursts % 2 === 0;
      run.resend.failSome(1, rateLimited ? { status: 429, retryAfter: 1 } : { status: 500 });
      run.telegram.failSome("sendMessage", 1, rateLimited ? { status: 429, retryAfter: 1 } : { status: 502 });
      ending = setTimeout(() => {
        run.resend.failSome(0, { status: 500 });
        run.telegram.failSome("sendMessage", 0, { status: 502 });
      }, BURST_MS);
    }, 3_000);
    let finalAt: number;
    try {
      finalAt = await run.allFinal(115_000);
    } finally {
      clearInterval(burst);
      clearTimeout(ending);
      run.resend.failSome(0, { status: 500 });
      run.telegram.failSome("sendMessage", 0, { status: 502 });
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
      notes: `fault on for the whole send, ${bursts} outages of ${BURST_MS} ms every 3 s: Resend ${refused.resend5xx} × 5xx, ${refused.resend429} × 429; Telegram ${refused.telegram5xx} × 5xx, ${refused.telegram429} × 429`,
    });
    // a Telegram send cut short (a lock lapsed, a connection lost) is failed unknown_outcome, never resent
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
  });
});
