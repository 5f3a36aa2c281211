import { describe, expect, it } from "vitest";
import type { ChannelName } from "../../lib/channels.ts";
import { type CheckedDelivery, holdOf, type SendLimits } from "../../workers/send-checks.ts";
import { useTestDatabase } from "../support/db.ts";

// The send-time checks one rule at a time, on the real database: each case differs from a message that
// goes out by one fact (found by mutation testing: see stryker.config.mjs).

const database = useTestDatabase();
const NOW = new Date("2026-12-04T10:30:00Z");
const HOUR = 3_600_000;

let seq = 0;
/** A customer who agreed to marketing on every channel, unless `consent` says otherwise. */
async function customer(consent?: Record<string, { status: string }>): Promise<string> {
  const granted = { status: "granted" };
  const created = await database.db.customer.create({
    data: {
      locale: "en",
      consent: consent ?? { email: granted, telegram: granted, discord: granted, x: granted },
    },
  });
  return created.id;
}

/** A Delivery row (status `sent` at `sentAt` counts towards the caps) and its checked shape. */
async function delivery(input: {
  customerId: string;
  kind?: "marketing" | "transactional";
  channel?: ChannelName;
  recipient?: string | null;
  status?: "queued" | "sent" | "failed";
  sentAt?: Date;
}): Promise<CheckedDelivery> {
  const row = await database.db.delivery.create({
    data: {
      key: `send-checks/${++seq}`,
      kind: input.kind ?? "marketing",
      customerId: input.customerId,
      channel: input.channel ?? "email",
      status: input.status ?? "queued",
      recipient: input.recipient === undefined ? `c${seq}@example.com` : input.recipient,
      sentAt: input.sentAt ?? null,
    },
    include: { customer: { select: { consent: true } } },
  });
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    customerId: row.customerId,
    recipient: row.recipient,
    customer: row.customer,
  };
}

async function suppress(
  channel: ChannelName,
  address: string,
  reason: "unsubscribed" | "bounced" | "complained" | "stopped",
) {
  await database.db.suppression.create({ data: { channel, address, reason } });
}

const hold = (d: CheckedDelivery, limits: SendLimits = {}) => holdOf(database.db, d, limits, NOW);

describe("suppressions at send time", () => {
  it("stop marketing to an unsubscribed address, with the suppression's reason, but let a transactional message through", async () => {
    const id = await customer();
    await suppress("email", "gone@example.com", "unsubscribed");
    const marketing = await delivery({ customerId: id, recipient: "gone@example.com" });
    const receipt = await delivery({ customerId: id, kind: "transactional", recipient: "gone@example.com" });

    expect(await hold(marketing)).toEqual({ status: "suppressed", reason: "unsubscribed" });
    expect(await hold(receipt)).toBeUndefined();
  });

  it("stop every message, transactional too, to an address that bounced or complained", async () => {
    const id = await customer();
    await suppress("email", "bounced@example.com", "bounced");
    await suppress("email", "angry@example.com", "complained");

    const bounced = await delivery({
      customerId: id,
      kind: "transactional",
      recipient: "bounced@example.com",
    });
    const angry = await delivery({ customerId: id, kind: "transactional", recipient: "angry@example.com" });

    expect(await hold(bounced)).toEqual({ status: "suppressed", reason: "bounced" });
    expect(await hold(angry)).toEqual({ status: "suppressed", reason: "complained" });
  });

  it("apply to their own channel and address only", async () => {
    const id = await customer();
    await suppress("telegram", "4242", "stopped");
    await suppress("email", "other@example.com", "unsubscribed");

    const sameAddressOtherChannel = await delivery({ customerId: id, channel: "email", recipient: "4242" });
    const otherAddress = await delivery({ customerId: id, recipient: "mine@example.com" });
    const stopped = await delivery({ customerId: id, channel: "telegram", recipient: "4242" });

    expect(await hold(sameAddressOtherChannel)).toBeUndefined();
    expect(await hold(otherAddress)).toBeUndefined();
    expect(await hold(stopped)).toEqual({ status: "suppressed", reason: "stopped" });
  });

  it("find a Discord or X opt-out kept under the user id for a DM addressed user:<id> or dm:<id>", async () => {
    const id = await customer();
    await suppress("discord", "9001", "stopped");
    await suppress("x", "777", "stopped");

    const discord = await delivery({ customerId: id, channel: "discord", recipient: "user:9001" });
    const x = await delivery({ customerId: id, channel: "x", recipient: "dm:777" });

    expect(await hold(discord)).toEqual({ status: "suppressed", reason: "stopped" });
    expect(await hold(x)).toEqual({ status: "suppressed", reason: "stopped" });
  });
});

describe("consent at send time", () => {
  it("holds marketing on a channel the customer opted out of, and only on that channel", async () => {
    const id = await customer({ email: { status: "denied" }, telegram: { status: "granted" } });
    const email = await delivery({ customerId: id, channel: "email" });
    const telegram = await delivery({ customerId: id, channel: "telegram", recipient: "31337" });
    const receipt = await delivery({ customerId: id, kind: "transactional", channel: "email" });

    expect(await hold(email)).toEqual({ status: "suppressed", reason: "opted_out" });
    expect(await hold(telegram)).toBeUndefined();
    expect(await hold(receipt)).toBeUndefined();
  });
});

describe("frequency caps at send time", () => {
  it("skips the message once the customer's marketing sent in the last day reaches max_per_day", async () => {
    const id = await customer();
    await delivery({ customerId: id, status: "sent", sentAt: new Date(NOW.getTime() - 2 * HOUR) });
    const next = await delivery({ customerId: id });

    expect(await hold(next, { maxPerDay: 1 })).toEqual({ status: "skipped", reason: "frequency_cap" });
    // one sent is under a cap of two
    expect(await hold(next, { maxPerDay: 2 })).toBeUndefined();
  });

  it("counts a day as the last 24 hours and a week as the last 7 days", async () => {
    const id = await customer();
    await delivery({ customerId: id, status: "sent", sentAt: new Date(NOW.getTime() - 25 * HOUR) });
    const next = await delivery({ customerId: id });

    expect(await hold(next, { maxPerDay: 1 })).toBeUndefined();
    expect(await hold(next, { maxPerWeek: 1 })).toEqual({ status: "skipped", reason: "frequency_cap" });

    const later = await customer();
    await delivery({ customerId: later, status: "sent", sentAt: new Date(NOW.getTime() - 8 * 24 * HOUR) });
    expect(await hold(await delivery({ customerId: later }), { maxPerWeek: 1 })).toBeUndefined();
  });

  it("counts only this customer's marketing that was sent, and not the message itself", async () => {
    const id = await customer();
    const someoneElse = await customer();
    const recent = new Date(NOW.getTime() - HOUR);
    await delivery({ customerId: id, kind: "transactional", status: "sent", sentAt: recent });
    await delivery({ customerId: id, status: "failed" });
    await delivery({ customerId: someoneElse, status: "sent", sentAt: recent });
    // a retry of a message already marked sent does not count itself
    const retried = await delivery({ customerId: id, status: "sent", sentAt: recent });

    expect(await hold(retried, { maxPerDay: 1, maxPerWeek: 1 })).toBeUndefined();
  });

  it("never holds a transactional message, however many went out", async () => {
    const id = await customer();
    for (let i = 0; i < 3; i++)
      await delivery({ customerId: id, status: "sent", sentAt: new Date(NOW.getTime() - HOUR) });
    const receipt = await delivery({ customerId: id, kind: "transactional" });

    expect(await hold(receipt, { maxPerDay: 1, maxPerWeek: 1 })).toBeUndefined();
  });
});
