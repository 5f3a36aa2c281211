import { describe, expect, it } from "vitest";
import { Prisma } from "../../lib/db/index.ts";
import { UNKNOWN_OUTCOME } from "../../workers/deliver.ts";
import { useChaosRun } from "./support/chaos-run.ts";
import { SCALE } from "./support/scale.ts";

/** Telegram messages of the scenario: 12 batch jobs of 50 at scale 1, 12 s at the engine's 25 messages/s. */
const TELEGRAM = Math.max(150, Math.round(600 * SCALE));

describe("chaos 7: a worker is killed with SIGKILL in the middle of a batch of Telegram messages", () => {
  const run = useChaosRun("chaos-chat-batch", { email: 0, telegram: TELEGRAM });
  const marked = async () => {
    const [row] = await run.database.db.$queryRaw<[{ n: number }]>(Prisma.sql`
      SELECT count(*)::int AS n FROM "Delivery"
      WHERE "campaignId" = ${run.campaignId} AND status = 'queued' AND "sendStartedAt" IS NOT NULL`);
    return row.n;
  };

  it("never sends a member whose send was marked begun again: each chat gets at most one message, none is lost", async () => {
    await run.prepare();
    const startedAt = Date.now();
    const victim = run.startWorker("worker-1");
    // inside a batch: some of its members marked begun (sent or about to be) and not yet recorded
    await run.until(
      "worker-1 to be in the middle of a batch",
      async () => {
        if (run.telegram.sent.length >= TELEGRAM) throw new Error("the campaign ended before the kill");
        return run.telegram.sent.length >= 40 && (await marked()) > 0;
      },
      90_000,
      10,
    );
    await run.kill9(victim);
    const killedAt = Date.now();
    // what the dead worker left: marked members no one will ever hear about
    const orphans = await marked();
    run.note(`SIGKILL worker-1: ${JSON.stringify(await run.now())}, ${orphans} marked and unrecorded`);
    expect(orphans, "the kill lands mid-batch").toBeGreaterThan(0);
    run.startWorker("worker-2");
    const finalAt = await run.allFinal(110_000);
    const verdict = await run.verdict();
    run.report({
      scenario: "7. SIGKILL a worker mid-batch (Telegram only)",
      verdict,
      recoverMs: finalAt - killedAt,
      totalMs: finalAt - startedAt,
      notes: `${orphans} members of batches marked begun when the worker died: failed unknown_outcome, not sent again (${verdict.unknownDelivered} had reached Telegram)`,
    });

    expect(await run.failedJobs()).toEqual([]);
    expect(verdict.messages).toBe(TELEGRAM);
    expect(verdict.problems).toEqual([]);
    expect(verdict.duplicates).toBe(0);
    expect(verdict.lost).toBe(0);
    expect(verdict.sent + verdict.unknown).toBe(TELEGRAM);
    // exactly the members the dead worker had marked are the unknown ones: the rest of its batches went out
    const unknown = await run.database.db.delivery.count({
      where: { campaignId: run.campaignId, status: "failed", reason: UNKNOWN_OUTCOME },
    });
    expect(unknown).toBe(orphans);
  });
});
