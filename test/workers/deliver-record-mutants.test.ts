import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ChannelName } from "../../lib/channels.ts";
import {
  authorOf,
  RECORD_RETRY_MS,
  RecordingPendingError,
  recordAnswers,
  recordBackoffMs,
  recordOutcome,
  recordSent,
  type SentRecord,
} from "../../workers/deliver-record.ts";
import { useTestDatabase } from "../support/db.ts";
import { refuseRows } from "../support/refuse-rows.ts";

// Recording what a provider answered, one rule at a time on the real database (found by mutation testing:
// see stryker.config.mjs).

const database = useTestDatabase();
const NOW = new Date("2026-12-04T10:30:00Z");
const EARLIER = new Date("2026-12-04T09:00:00Z");

let seq = 0;
/** A queued Delivery to a new customer, as the deliver worker holds it. */
async function queued(
  input: { channel?: ChannelName; data?: Record<string, unknown>; status?: "queued" | "sent" } = {},
): Promise<SentRecord["delivery"]> {
  const customer = await database.db.customer.create({ data: { locale: "en" } });
  const row = await database.db.delivery.create({
    data: {
      key: `deliver-record/${++seq}`,
      customerId: customer.id,
      channel: input.channel ?? "email",
      status: input.status ?? "queued",
      attempts: 1,
      error: "an earlier try timed out",
      data: (input.data ?? {}) as object,
    },
  });
  return {
    id: row.id,
    customerId: row.customerId,
    conversationId: null,
    channel: row.channel,
    data: row.data,
  };
}

const row = (id: string) => database.db.delivery.findUniqueOrThrow({ where: { id } });
const history = (deliveryId: string) => database.db.interaction.findMany({ where: { deliveryId } });

describe("authorOf", () => {
  it("names the staff member only when the data says staff and carries their id", () => {
    const staffUserId = randomUUID();
    expect(authorOf({ author: "staff", staffUserId })).toEqual({ author: "staff", staffUserId });
    expect(authorOf({ author: "staff" })).toEqual({ author: "bot", staffUserId: null });
    expect(authorOf({ author: "staff", staffUserId: 42 })).toEqual({ author: "bot", staffUserId: null });
    expect(authorOf({ author: "bot", staffUserId })).toEqual({ author: "bot", staffUserId: null });
    expect(authorOf(null)).toEqual({ author: "bot", staffUserId: null });
    expect(authorOf(undefined)).toEqual({ author: "bot", staffUserId: null });
  });
});

describe("recordSent", () => {
  it("marks the Delivery sent with the provider's id and adds the message to the customer's history", async () => {
    const delivery = await queued();
    await recordSent(
      database.db,
      [
        {
          delivery,
          message: { subject: "Thank you", text: "Your order is on its way." },
          providerId: "re_1",
        },
      ],
      NOW,
    );

    const after = await row(delivery.id);
    expect(after).toMatchObject({
      status: "sent",
      sentAt: NOW,
      providerId: "re_1",
      attempts: 2,
      error: null,
      updatedAt: NOW,
    });
    const messages = await history(delivery.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      customerId: delivery.customerId,
      channel: "email",
      direction: "outbound",
      author: "bot",
      staffUserId: null,
      externalId: "email:re_1",
      text: "Thank you\n\nYour order is on its way.",
      sentAt: NOW,
    });
  });

  it("keeps a message without a subject as its text alone, written by the staff member who replied", async () => {
    const staffUserId = randomUUID();
    const delivery = await queued({ channel: "telegram", data: { author: "staff", staffUserId } });
    await recordSent(database.db, [{ delivery, message: { text: "On its way!" }, providerId: "55" }], NOW);

    const messages = await history(delivery.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      text: "On its way!",
      author: "staff",
      staffUserId,
      externalId: "telegram:55",
    });
  });

  it("records a whole batch in one go, and leaves a Delivery already sent as it was", async () => {
    const [first, second] = [await queued(), await queued()];
    await recordSent(database.db, [{ delivery: first, message: { text: "a" }, providerId: "p1" }], EARLIER);
    await recordSent(
      database.db,
      [
        { delivery: first, message: { text: "a" }, providerId: "p1-again" },
        { delivery: second, message: { text: "b" }, providerId: "p2" },
      ],
      NOW,
    );

    expect(await row(first.id)).toMatchObject({
      status: "sent",
      providerId: "p1",
      sentAt: EARLIER,
      attempts: 2,
    });
    expect(await row(second.id)).toMatchObject({ status: "sent", providerId: "p2", sentAt: NOW });
    expect((await history(first.id)).map((m) => m.externalId)).toEqual(["email:p1"]);
  });

  it("does nothing for nothing sent", async () => {
    await expect(recordSent(database.db, [], NOW)).resolves.toBeUndefined();
  });
});

describe("recordOutcome", () => {
  it("fails Deliveries with the provider's reason and the time, and clears an old error when none is given", async () => {
    const [a, b, other] = [await queued(), await queued(), await queued()];
    await recordOutcome(
      database.db,
      [a.id, b.id],
      { status: "failed", reason: "rejected", error: "422" },
      NOW,
    );
    await recordOutcome(database.db, [other.id], { status: "skipped", reason: "frequency_cap" }, NOW);

    for (const id of [a.id, b.id])
      expect(await row(id)).toMatchObject({
        status: "failed",
        reason: "rejected",
        error: "422",
        failedAt: NOW,
      });
    // only a failure has a failure time
    expect(await row(other.id)).toMatchObject({
      status: "skipped",
      reason: "frequency_cap",
      error: null,
      failedAt: null,
    });
  });

  it("does nothing for no ids", async () => {
    const untouched = await queued();
    await recordOutcome(database.db, [], { status: "suppressed", reason: "unsubscribed" }, NOW);
    expect(await row(untouched.id)).toMatchObject({ status: "queued", reason: null });
  });
});

describe("recordAnswers", () => {
  it("records each answer of a batch: the accepted sent, the one the provider refused failed with its reason", async () => {
    const [accepted, refused, unknown] = [await queued(), await queued(), await queued()];
    await recordAnswers(
      database.db,
      [accepted, refused],
      [
        { deliveryId: accepted.id, providerId: "re_ok", subject: "Hi", text: "Hello" },
        { deliveryId: refused.id, rejected: "invalid address" },
        // an answer for a Delivery the job does not hold is not recorded
        { deliveryId: unknown.id, providerId: "re_stray", text: "?" },
      ],
      NOW,
    );

    expect(await row(accepted.id)).toMatchObject({ status: "sent", providerId: "re_ok" });
    expect((await history(accepted.id))[0]?.text).toBe("Hi\n\nHello");
    expect(await row(refused.id)).toMatchObject({
      status: "failed",
      reason: "rejected",
      error: "invalid address",
      failedAt: NOW,
    });
    expect(await history(refused.id)).toEqual([]);
    expect(await row(unknown.id)).toMatchObject({ status: "queued", providerId: null });
  });

  it("tries again after a pause while the database refuses, and records once it accepts", async () => {
    const delivery = await queued();
    const allow = await refuseRows(database.db, "Interaction", "text", "refused-once");
    const waits: number[] = [];
    await recordAnswers(
      database.db,
      [delivery],
      [{ deliveryId: delivery.id, providerId: "re_retry", text: "refused-once" }],
      NOW,
      async (ms) => {
        waits.push(ms);
        await allow();
      },
    );

    expect(waits).toEqual([RECORD_RETRY_MS[0]]);
    expect(await row(delivery.id)).toMatchObject({ status: "sent", providerId: "re_retry" });
    expect(await history(delivery.id)).toHaveLength(1);
  });

  it("gives up after the quick tries with the answers kept for later, the Delivery left unrecorded", async () => {
    const delivery = await queued();
    const allow = await refuseRows(database.db, "Interaction", "text", "refused-always");
    const records = [{ deliveryId: delivery.id, providerId: "re_late", text: "refused-always" }];
    const waits: number[] = [];
    try {
      const failure = await recordAnswers(database.db, [delivery], records, NOW, async (ms) => {
        waits.push(ms);
      }).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(RecordingPendingError);
      const pending = failure as RecordingPendingError;
      expect(pending.records).toEqual(records);
      expect(pending.code).toBe("RAPPORT_RECORDING_PENDING");
      expect(pending.name).toBe("RecordingPendingError");
      expect(pending.message).toMatch(
        /^sent, but recording 1 delivery outcome\(s\) failed: .*refused by the test/s,
      );
      expect(waits).toEqual([100, 500, 2_000]);
      // the transaction is all or nothing: no history without the Delivery marked sent
      expect(await row(delivery.id)).toMatchObject({ status: "queued", providerId: null });
      expect(await history(delivery.id)).toEqual([]);
    } finally {
      await allow();
    }
  });
});

describe("recordAnswers without a wait given", () => {
  it("really pauses between its quick tries (100, 500 and 2 000 ms) before giving up", async () => {
    const delivery = await queued();
    const allow = await refuseRows(database.db, "Interaction", "text", "refused-paused");
    try {
      const started = performance.now();
      const failure = await recordAnswers(
        database.db,
        [delivery],
        [{ deliveryId: delivery.id, providerId: "re_paused", text: "refused-paused" }],
        NOW,
      ).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(RecordingPendingError);
      expect(performance.now() - started).toBeGreaterThanOrEqual(2_590);
    } finally {
      await allow();
    }
  });
});

describe("RecordingPendingError", () => {
  it("names a cause that is not an Error by its text", () => {
    const error = new RecordingPendingError([], { cause: "connection reset" });
    expect(error.message).toBe("sent, but recording 0 delivery outcome(s) failed: connection reset");
    expect(error.cause).toBe("connection reset");
  });
});

describe("recordBackoffMs", () => {
  it("doubles from 2 s for each try and stops at a minute", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 20].map(recordBackoffMs)).toEqual([
      2_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});
