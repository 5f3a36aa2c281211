import { describe, expect, it } from "vitest";
import type { ChannelName } from "../../lib/channels.ts";
import { type CheckedDelivery, type Hold, holdOf, holdsOf } from "../../workers/send-checks.ts";
import { useTestDatabase } from "../support/db.ts";

// The send-time checks of a whole email batch at once (holdsOf) answer what the one-by-one check (holdOf)
// answers for each member, on one mixed set holding every rule, in a few queries instead of two to four each.

const database = useTestDatabase();
const NOW = new Date("2026-12-04T10:30:00Z");
const HOUR = 3_600_000;
const granted = { status: "granted" };

let seq = 0;
async function customer(consent: Record<string, { status: string }> | null, country?: string) {
  const created = await database.db.customer.create({
    data: { locale: "en", country: country ?? null, ...(consent ? { consent } : {}) },
  });
  return created.id;
}

async function delivery(input: {
  customerId: string;
  kind?: "marketing" | "transactional";
  channel?: ChannelName;
  recipient?: string;
  status?: "queued" | "sent";
  sentAt?: Date;
}): Promise<CheckedDelivery> {
  const row = await database.db.delivery.create({
    data: {
      key: `send-checks-batch/${++seq}`,
      kind: input.kind ?? "marketing",
      customerId: input.customerId,
      channel: input.channel ?? "email",
      status: input.status ?? "queued",
      recipient: input.recipient ?? `b${seq}@example.com`,
      sentAt: input.sentAt ?? null,
    },
    include: { customer: { select: { consent: true } } },
  });
  return { ...row, customer: row.customer };
}

/** A mixed batch: one member per rule, each labelled with the answer it must get. */
async function mixedBatch(): Promise<Array<[string, CheckedDelivery, Hold | undefined]>> {
  const ok = await customer({ email: granted, discord: granted });
  const denied = await customer({ email: { status: "denied" } });
  const silent = await customer(null);
  const busy = await customer({ email: granted });
  await delivery({ customerId: busy, status: "sent", sentAt: new Date(NOW.getTime() - 2 * HOUR) });
  const weekly = await customer({ email: granted });
  for (const days of [2, 3])
    await delivery({
      customerId: weekly,
      status: "sent",
      sentAt: new Date(NOW.getTime() - days * 24 * HOUR),
    });
  for (const [address, reason] of [
    ["gone@example.com", "unsubscribed"],
    ["bounced@example.com", "bounced"],
    ["angry@example.com", "complained"],
  ] as const)
    await database.db.suppression.create({ data: { channel: "email", address, reason } });
  await database.db.suppression.create({ data: { channel: "discord", address: "9001", reason: "stopped" } });
  await database.db.suppression.create({
    data: { channel: "telegram", address: "ok@example.com", reason: "stopped" },
  });

  return [
    ["goes out", await delivery({ customerId: ok }), undefined],
    [
      "other channel's suppression",
      await delivery({ customerId: ok, recipient: "ok@example.com" }),
      undefined,
    ],
    [
      "unsubscribed, marketing",
      await delivery({ customerId: ok, recipient: "gone@example.com" }),
      { status: "suppressed", reason: "unsubscribed" },
    ],
    [
      "unsubscribed, transactional",
      await delivery({ customerId: ok, kind: "transactional", recipient: "gone@example.com" }),
      undefined,
    ],
    [
      "bounced, transactional",
      await delivery({ customerId: ok, kind: "transactional", recipient: "bounced@example.com" }),
      { status: "suppressed", reason: "bounced" },
    ],
    [
      "complained, transactional",
      await delivery({ customerId: ok, kind: "transactional", recipient: "angry@example.com" }),
      { status: "suppressed", reason: "complained" },
    ],
    [
      "DM to a stopped Discord user",
      await delivery({ customerId: ok, channel: "discord", recipient: "user:9001" }),
      { status: "suppressed", reason: "stopped" },
    ],
    ["opted out", await delivery({ customerId: denied }), { status: "suppressed", reason: "opted_out" }],
    ["opted out, transactional", await delivery({ customerId: denied, kind: "transactional" }), undefined],
    [
      "no consent under opt-in",
      await delivery({ customerId: silent }),
      { status: "skipped", reason: "no_consent" },
    ],
    ["daily cap", await delivery({ customerId: busy }), { status: "skipped", reason: "frequency_cap" }],
    ["weekly cap", await delivery({ customerId: weekly }), { status: "skipped", reason: "frequency_cap" }],
  ];
}

describe("holdsOf", () => {
  it("holds exactly the members holdOf holds, each for the same reason", async () => {
    const batch = await mixedBatch();
    const limits = { maxPerDay: 1, maxPerWeek: 2 };
    const deliveries = batch.map(([, d]) => d);

    const holds = await holdsOf(database.db, deliveries, limits, NOW);

    const expected = batch.map(([what, , hold]) => [what, hold]);
    expect(batch.map(([what, d]) => [what, holds.get(d.id)])).toEqual(expected);
    const oneByOne = [];
    for (const [what, d] of batch) oneByOne.push([what, await holdOf(database.db, d, limits, NOW)]);
    expect(oneByOne).toEqual(expected);
    expect(holds.size).toBe(expected.filter(([, hold]) => hold).length);
  });

  it("holds nothing for an empty batch, and counts a member's own row out of its caps", async () => {
    expect((await holdsOf(database.db, [], {}, NOW)).size).toBe(0);
    const id = await customer({ email: granted });
    // already recorded sent (an earlier attempt): its own row is not a message before it
    const self = await delivery({ customerId: id, status: "sent", sentAt: new Date(NOW.getTime() - HOUR) });
    expect((await holdsOf(database.db, [self], { maxPerDay: 1 }, NOW)).size).toBe(0);
  });
});
