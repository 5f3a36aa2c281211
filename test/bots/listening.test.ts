import { describe, expect, it } from "vitest";
import { captureMessage, type InboundMessage } from "../../bots/index.ts";
import { keywordsIn } from "../../bots/x/inbound.ts";
import { useTestDatabase } from "../support/db.ts";

// The listening desk's row of a public post: written by capture, once per post, on a real database.
const database = useTestDatabase();
let seq = 0;

function post(
  keywords: string[],
  externalId = String(1_870_000_000_000_000_000n + BigInt(++seq)),
): InboundMessage {
  return {
    channel: "x",
    externalId,
    sender: { externalId: `author-${externalId}`, handle: "someone" },
    threadRef: externalId,
    text: "Kopi Senja is back",
    sentAt: new Date("2026-03-01T10:00:00Z"),
    conversational: false,
    listening: { keywords },
  };
}

describe("capturing a listening hit", () => {
  it("keeps one row per post; the same post found again adds only the keywords it lacked and keeps its status", async () => {
    const first = await captureMessage(database.db, post(["kopi senja"], "1870000000000000999"));
    expect(first).toMatchObject({ kind: "stored", listening: true });
    await database.db.listeningHit.update({
      where: { interactionId: first.interactionId },
      data: { status: "escalated" },
    });
    const again = await captureMessage(database.db, post(["kopi senja"], "1870000000000000999"));
    expect(again.kind).toBe("duplicate");
    // found by the mentions stream too: addressed to the brand
    await captureMessage(database.db, post(["mention", "kopi senja"], "1870000000000000999"));
    const rows = await database.db.listeningHit.findMany({ where: { interactionId: first.interactionId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ keywords: ["kopi senja", "mention"], status: "escalated", channel: "x" });
    expect(rows[0]!.sentAt.toISOString()).toBe("2026-03-01T10:00:00.000Z");
  });

  it("mends a post whose row was lost (a crash between the two writes) when the post comes again", async () => {
    const stored = await captureMessage(database.db, post(["rapport"]));
    await database.db.listeningHit.delete({ where: { interactionId: stored.interactionId } });
    const { externalId } = await database.db.interaction.findUniqueOrThrow({
      where: { id: stored.interactionId },
    });
    await captureMessage(database.db, post(["rapport"], externalId!));
    expect(await database.db.listeningHit.count({ where: { interactionId: stored.interactionId } })).toBe(1);
  });

  it("writes no row for a message that is not a public post", async () => {
    const dm = await captureMessage(database.db, { ...post([]), externalId: "dm:77", listening: undefined });
    expect(await database.db.listeningHit.count({ where: { interactionId: dm.interactionId } })).toBe(0);
  });
});

describe("keywordsIn", () => {
  it("finds configured keywords as whole words, case-insensitively, in the configured order, once each", () => {
    const keywords = ["rapport", "kopi senja", '"toko kita"', " "];
    expect(keywordsIn("Love #Rapport! KOPI  Senja forever, rapport again", keywords)).toEqual([
      "rapport",
      "kopi senja",
    ]);
    expect(keywordsIn("the rapporteur said kopisenja", keywords)).toEqual([]);
    expect(keywordsIn("Belanja di Toko Kita.", keywords)).toEqual(["toko kita"]);
    expect(keywordsIn("Zażółć rapport_x rapport.", ["rapport", "(a+"])).toEqual(["rapport"]);
  });
});
