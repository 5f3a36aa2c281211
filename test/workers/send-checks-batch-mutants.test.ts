import { describe, expect, it } from "vitest";
import type { ChannelName } from "../../lib/channels.ts";
import { type CheckedDelivery, holdsOf } from "../../workers/send-checks.ts";
import { useTestDatabase } from "../support/db.ts";

// Edges of the set-based batch check that the mutation run (Stryker over workers/send-checks.ts) found no
// test for: a suppression belongs to its channel, and a bounce is the reason named over an unsubscribe.

const database = useTestDatabase();
const NOW = new Date("2026-12-04T10:30:00Z");
let seq = 0;

async function delivery(kind: "marketing" | "transactional", channel: ChannelName, recipient: string) {
  const customer = await database.db.customer.create({
    data: { consent: { [channel]: { status: "granted" } } },
  });
  const row = await database.db.delivery.create({
    data: {
      key: `send-checks-edges/${++seq}`,
      kind,
      customerId: customer.id,
      channel,
      recipient,
      status: "queued",
    },
    include: { customer: { select: { consent: true } } },
  });
  return { ...row, customer: row.customer } as CheckedDelivery;
}

describe("holdsOf", () => {
  it("holds nothing for a suppression of the same address on another channel", async () => {
    // Telegram user 4242 said /stop on Telegram; the Discord user with the same digits said nothing
    await database.db.suppression.create({
      data: { channel: "telegram", address: "4242", reason: "unsubscribed" },
    });
    const discord = await delivery("marketing", "discord", "user:4242");
    const telegram = await delivery("marketing", "telegram", "4242");
    const holds = await holdsOf(database.db, [discord, telegram], {}, NOW);
    expect(holds.get(telegram.id)).toEqual({ status: "suppressed", reason: "unsubscribed" });
    expect(holds.has(discord.id)).toBe(false);
  });

  it("names the bounce, which stops transactional messages too, when an address has an unsubscribe as well", async () => {
    // a Discord DM is checked under "user:<id>" and "<id>": one holds an unsubscribe, the other a bounce
    await database.db.suppression.create({
      data: { channel: "discord", address: "user:77", reason: "unsubscribed" },
    });
    await database.db.suppression.create({ data: { channel: "discord", address: "77", reason: "bounced" } });
    const receipt = await delivery("transactional", "discord", "user:77");
    const holds = await holdsOf(database.db, [receipt], {}, NOW);
    expect(holds.get(receipt.id)).toEqual({ status: "suppressed", reason: "bounced" });
  });
});
