import type { Worker } from "bullmq";
import type { FastifyInstance } from "fastify";
import { captureMessage, createXChannel, createXClient, createXListener } from "../../../bots/index.ts";
import { type LiveHub, onInboundStored } from "../../../console/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import type { Db } from "../../../lib/db/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import type { Redis } from "../../../lib/redis.ts";
import { createTemplateStore } from "../../../templates/index.ts";
import { startDeliverWorker } from "../../../workers/deliver.ts";
import type { DeliverJob } from "../../../workers/index.ts";
import { type FakeX, startFakeX } from "../../fakes/x.ts";
import { startInboxConsole } from "../inbox/support.ts";

/** Keywords the desk's listener searches for. */
export const KEYWORDS = ["kopi senja", "rapport"];
/** Sunday 1 March 2026, 12:00 UTC: the desk's clock, and the fake X's. */
export const DESK_NOW = Date.UTC(2026, 2, 1, 12);

/**
 * The console (inbox area with its live hub), a fake X with a listener that captures every post and tells the
 * console as the responder's `onStored` does (cli/app.ts), and X's deliver worker (as `rapport worker`).
 */
export interface ListeningDesk {
  http: FastifyInstance;
  live: LiveHub;
  fake: FakeX;
  clock: ReturnType<typeof manualClock>;
  /** Polls X once: posts added since the last poll are captured (the first poll only learns where "now" is). */
  poll(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link ListeningDesk} on the test's database and Redis. */
export async function startListeningDesk(db: Db, redis: Redis, prefix: string): Promise<ListeningDesk> {
  const clock = manualClock(DESK_NOW);
  const fake = await startFakeX({ now: clock.now });
  const client = createXClient({ ...fake.credentials, apiRoot: fake.apiRoot });
  const started = await startInboxConsole({ db, redis, prefix, clock });
  const stored = onInboundStored({ db, live: started.live, log: silentLogger });
  const listener = createXListener({
    client,
    db,
    log: silentLogger,
    clock,
    keywords: KEYWORDS,
    onMessage: async (message) => {
      const result = await captureMessage(db, message);
      if (result.kind === "stored") stored(result);
    },
  });
  const worker: Worker<DeliverJob> = startDeliverWorker(
    {
      db,
      clock,
      log: silentLogger,
      templates: createTemplateStore(),
      publicUrl: "http://localhost:3000",
      unsubscribeSecret: "unsubscribe-secret-0123456789",
      campaign: () => undefined,
      connection: redis,
      prefix,
      concurrency: 2,
    },
    createXChannel(client, { clock }),
  );
  return {
    http: started.http,
    live: started.live,
    fake,
    clock,
    poll: () => listener.pollOnce(),
    async close() {
      await worker.close();
      await started.http.close();
      await fake.close();
    },
  };
}
