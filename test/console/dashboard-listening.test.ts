import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../bots/index.ts";
import { registerConsole } from "../../console/index.ts";
import { manualClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, type Browser, getPage, signIn, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
/** Noon UTC on 23 November 2026: the listening card's 14 days are 10–23 November. */
const NOW = Date.parse("2026-11-23T12:00:00Z");
const clock = manualClock(NOW);
let http: FastifyInstance;
let agent: Browser;
let pekerja: Browser;
let n = 0;

/** A public X post captured as the listener hands it on; answered `answerAfterMinutes` later, if given. */
async function post(sentAt: string, keywords: string[], answerAfterMinutes?: number) {
  n++;
  const result = await captureMessage(database.db, {
    channel: "x",
    externalId: String(1_860_000_000_000_000_000n + BigInt(n)),
    sender: { externalId: `user-${n}`, handle: `user${n}` },
    threadRef: String(n),
    text: "…",
    sentAt: new Date(sentAt),
    conversational: keywords.includes("mention"),
    listening: { keywords },
  });
  if (answerAfterMinutes !== undefined) {
    await database.db.listeningHit.update({
      where: { interactionId: result.interactionId },
      data: {
        status: "answered",
        answeredAt: new Date(Date.parse(sentAt) + answerAfterMinutes * 60_000),
      },
    });
  }
}

beforeAll(async () => {
  // 22 Nov: three mentions, answered after 10 and 30 minutes and not at all; 20 Nov: two keyword hits, one
  // answered after 60 minutes; 1 Nov (before the 14 days): a hit answered at once, left out
  await post("2026-11-22T09:00:00Z", ["mention"], 10);
  await post("2026-11-22T10:00:00Z", ["mention", "kopi senja"], 30);
  await post("2026-11-22T11:00:00Z", ["mention"]);
  await post("2026-11-20T09:00:00Z", ["kopi senja"], 60);
  await post("2026-11-20T10:00:00Z", []);
  await post("2026-11-01T10:00:00Z", ["kopi senja"], 0);
  http = createHttpServer({ log: silentLogger });
  await registerConsole(http, {
    db: database.db,
    clock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Toko Rapport",
  });
  await http.ready();
  const email = uniqueEmail("agent");
  await addStaff(database.db, email, "agent");
  agent = await signIn(http, email);
  const emailId = uniqueEmail("pekerja");
  await addStaff(database.db, emailId, "agent", { locale: "id" });
  pekerja = await signIn(http, emailId);
});
afterAll(async () => {
  await http?.close();
});

describe("the dashboard's listening card", () => {
  it("shows posts of the last 14 days, the answered share and the median time to answer", async () => {
    const page = await getPage(http, agent, "/console/dashboard");
    expect(page.statusCode).toBe(200);
    const card = /<section[^>]*data-listening-card[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? "";
    expect(card).toContain('data-listening-total="5"');
    expect(card).toContain('data-listening-answered="3"');
    expect(card).toContain('data-listening-median="1800"');
    expect(card).toMatch(/data-listening-answered="3">60%</);
    expect(card).toMatch(/data-listening-median="1800">30 min</);
    // the chart: 14 days, mentions and keyword hits apart
    expect(card).toContain("3 mentions and 2 keyword hits");
    expect(card).toContain('href="/console/listening"');
  });

  it("speaks the staff member's language", async () => {
    const page = await getPage(http, pekerja, "/console/dashboard");
    const card = /<section[^>]*data-listening-card[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? "";
    expect(card).toContain("Pemantauan");
    expect(card).toContain("Median waktu menjawab");
    expect(card).toContain("3 sebutan dan 2 temuan kata kunci");
  });
});
