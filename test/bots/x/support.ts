import { captureMessage, type InboundMessage } from "../../../bots/index.ts";
import { createXClient, createXListener, type XListener } from "../../../bots/x/index.ts";
import { manualClock } from "../../../lib/clock.ts";
import type { Db } from "../../../lib/db/index.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { type FakeX, startFakeX } from "../../fakes/x.ts";

let brandSeq = 0;

/** A fake X, a client on it, and a listener capturing into `db`: one brand per call, so cursors never mix. */
export interface XHarness {
  fake: FakeX;
  clock: ReturnType<typeof manualClock>;
  client: ReturnType<typeof createXClient>;
  listener: XListener;
  /** Every message the listener handed on, in order (across restarts). */
  received: InboundMessage[];
  /** A new listener on the same database and fake, as after a process restart. */
  restart(): XListener;
}

/** Starts the harness. Close `fake` in afterEach. */
export async function startXHarness(db: Db, options: { keywords?: string[] } = {}): Promise<XHarness> {
  const clock = manualClock(Date.UTC(2026, 2, 1, 12));
  brandSeq += 1;
  const brandId = String(1_500_000_000_000_000_000n + BigInt(process.pid) * 1000n + BigInt(brandSeq));
  const fake = await startFakeX({ now: clock.now, brand: { id: brandId, username: "rapport_brand" } });
  const client = createXClient({ ...fake.credentials, apiRoot: fake.apiRoot });
  const received: InboundMessage[] = [];
  const make = () =>
    createXListener({
      client,
      db,
      log: silentLogger,
      clock,
      keywords: options.keywords,
      onMessage: async (message) => {
        received.push(message);
        await captureMessage(db, message);
      },
    });
  return { fake, clock, client, listener: make(), received, restart: make };
}
