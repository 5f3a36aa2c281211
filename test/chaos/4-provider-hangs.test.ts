import { describe, expect, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce } from "./support/expect-once.ts";

/** The workers' SEND_TIMEOUT_MS here: a third of the default, so the hung calls fit the scenario's 2 minutes. */
const SEND_TIMEOUT_MS = 10_000;

describe("chaos 4: the providers accept 5% of calls and never answer", () => {
  const run = useChaosRun("chaos-hang", AUDIENCE);

  it("gives up on the silent calls: every email sent exactly once, every Telegram message at most once and said so", async () => {
    await run.prepare();
    // every twentieth call: stored by the provider, then the answer never comes
    run.resend.failSome(0.05, { acceptThenFail: true, hang: true });
    run.telegram.failSome("sendMessage", 0.05, { status: 500, acceptThenFail: true, hang: true });
    const startedAt = Date.now();
    const env = { SEND_TIMEOUT_MS: String(SEND_TIMEOUT_MS) };
    run.startWorker("worker-1", env);
    run.startWorker("worker-2", env);
    const finalAt = await run.allFinal(115_000);
    const verdict = await run.verdict();
    const hungEmail = run.resend.requests.filter((r) => r.status === -1).length;
    const hungChats = new Set(
      run.telegram.calls
        .filter((c) => c.method === "sendMessage" && c.status === -1)
        .map((c) => String(c.params.chat_id)),
    );
    run.report({
      scenario: "4. provider accepts, never answers (5% of calls)",
      verdict,
      recoverMs: finalAt - startedAt,
      totalMs: finalAt - startedAt,
      notes: `fault on for the whole send, SEND_TIMEOUT_MS ${SEND_TIMEOUT_MS}; ${hungEmail} Resend calls hung (each batch sent again under its idempotency key), ${hungChats.size} Telegram calls hung: failed unknown_outcome, never sent twice (${verdict.unknownDelivered} of ${verdict.unknown} had reached Telegram)`,
    });
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
    // the unknown outcomes are exactly the Telegram calls whose answer never came
    const unknown = (await run.deliveries())
      .filter((d) => d.channel === "telegram" && d.reason === "unknown_outcome")
      .map((d) => d.recipient);
    expect(unknown.length).toBe(verdict.unknown);
    expect(new Set(unknown)).toEqual(hungChats);
    expect(hungEmail).toBeGreaterThan(0);
  });
});
