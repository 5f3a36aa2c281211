import { describe, it } from "vitest";
import { useChaosRun } from "./support/chaos-run.ts";
import { AUDIENCE, expectExactlyOnce, midSend } from "./support/expect-once.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("chaos 2: Redis is killed with SIGKILL mid-send and restarted from its append-only file", () => {
  const run = useChaosRun("chaos-redis", AUDIENCE);

  it("the workers reconnect by themselves and every message goes out once", async () => {
    await run.prepare();
    const startedAt = Date.now();
    run.startWorker("worker-1");
    run.startWorker("worker-2");
    await midSend(run);
    await run.redis.kill9();
    run.note(`SIGKILL redis-server: ${JSON.stringify(await run.now())}`);
    await sleep(3_000);
    await run.redis.restart();
    const backAt = Date.now();
    run.note(`redis-server restarted from its AOF: ${JSON.stringify(await run.now())}`);
    const finalAt = await run.allFinal(110_000);
    const verdict = await run.verdict();
    run.report({
      scenario: "2. Redis SIGKILL, restarted from its AOF",
      verdict,
      recoverMs: finalAt - backAt,
      totalMs: finalAt - startedAt,
      notes: "down 3 s; appendonly yes, appendfsync everysec (as the managed Redis)",
    });
    // a Telegram send cut short (a lock lapsed, a connection lost) is failed unknown_outcome, never resent
    await expectExactlyOnce(run, verdict, { unknownAllowed: true });
  });
});
