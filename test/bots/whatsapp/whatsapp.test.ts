import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../../lib/clock.ts";
import { queueStaffReply } from "../../../workers/index.ts";
import { envFor, type FakeWhatsApp, startFakeWhatsApp } from "../../fakes/index.ts";
import { startTestApp, type TestApp } from "../../support/app.ts";
import { useTestDatabase } from "../../support/db.ts";
import { useTestRedis } from "../../support/redis.ts";
import { waitFor } from "../../support/wait.ts";

// Monday 23 November 2026, 10:00 in Jakarta: inside the shipped business hours
const OPEN = Date.parse("2026-11-23T03:00:00Z");
let now = OPEN;
const clock: Clock = { now: () => now };

const database = useTestDatabase();
const redis = useTestRedis();
let whatsapp: FakeWhatsApp;
let app: TestApp;
let hookUrl: string;

beforeAll(async () => {
  whatsapp = await startFakeWhatsApp({ now: () => now });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    clock,
    env: envFor({ whatsapp }),
  });
  hookUrl = `${app.url}/webhooks/whatsapp`;
});
afterAll(async () => {
  await app?.close();
  await whatsapp?.close();
});

let numbers = 0;
/** A wa_id no other test uses. */
const newWaId = () =>
  `62812${String(process.pid % 1000).padStart(3, "0")}${String(++numbers).padStart(4, "0")}`;

/** Posts a signed notification of one message from `waId` and returns its wamid. */
async function say(waId: string, message: Record<string, unknown>, name = "Sari") {
  const notification = whatsapp.messagesNotification({ waId, name }, [message]) as {
    entry: Array<{ changes: Array<{ value: { messages: Array<{ id: string }> } }> }>;
  };
  const response = await whatsapp.sendWebhook(hookUrl, notification);
  expect(response.status).toBe(200);
  return notification.entry[0]!.changes[0]!.value.messages[0]!.id;
}

const interactionOf = (wamid: string) =>
  database.db.interaction.findUnique({
    where: { channel_externalId: { channel: "whatsapp", externalId: wamid } },
    include: { customer: { include: { identities: true } } },
  });
const sentTo = (waId: string) => whatsapp.sent.filter((m) => m.to === waId);

describe("WhatsApp webhook verification", () => {
  it("answers Meta's handshake with the challenge when the verify token is WHATSAPP_VERIFY_TOKEN", async () => {
    const answer = await whatsapp.verifyWebhook(hookUrl);
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(answer.challenge);
  });

  it("refuses the handshake with another verify token", async () => {
    const answer = await whatsapp.verifyWebhook(hookUrl, `${whatsapp.verifyToken}-not`);
    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain(answer.challenge);
  });

  it("refuses a verify token as long in characters but not in bytes with 403, not a 500", async () => {
    const sameLength = "é".repeat(whatsapp.verifyToken.length);
    const answer = await whatsapp.verifyWebhook(hookUrl, sameLength);
    expect(answer.status).toBe(403);
  });
});

describe("WhatsApp webhook signatures", () => {
  it("refuses a notification signed with another secret, or unsigned, with 401 and stores nothing", async () => {
    const waId = newWaId();
    const notification = whatsapp.messagesNotification({ waId }, [{ type: "text", text: { body: "hi" } }]);
    const body = JSON.stringify(notification);
    const wrong = await whatsapp.sendWebhook(hookUrl, notification, {
      signature: `sha256=${"0".repeat(64)}`,
    });
    const missing = await whatsapp.sendWebhook(hookUrl, notification, { signature: null });
    // signed over other bytes than the ones sent (a proxy re-encoded the JSON)
    const reencoded = await whatsapp.sendWebhook(hookUrl, notification, {
      rawBody: body.replace('"hi"', '"hi" '),
      signature: (await import("../../fakes/index.ts")).hubSignature(whatsapp.appSecret, body),
    });
    expect([wrong.status, missing.status, reencoded.status]).toEqual([401, 401, 401]);
    expect(await database.db.identity.count({ where: { channel: "whatsapp", externalId: waId } })).toBe(0);
    expect(await database.db.interaction.count({ where: { channel: "whatsapp", text: "hi" } })).toBe(0);
  });
});

describe("WhatsApp messages into the conversation core", () => {
  it("makes the wa_id the customer's identity, named by the profile, with the number WhatsApp proved", async () => {
    const waId = newWaId();
    const wamid = await say(
      waId,
      { type: "text", text: { body: "Halo, apakah mug biru ada?" } },
      "Sari Dewi",
    );
    const stored = await interactionOf(wamid);
    expect(stored).toMatchObject({ direction: "inbound", text: "Halo, apakah mug biru ada?" });
    expect(stored!.customer.phone).toBe(`+${waId}`);
    expect(stored!.customer.identities).toEqual([
      expect.objectContaining({ channel: "whatsapp", externalId: waId, displayName: "Sari Dewi" }),
    ]);
    // answered on WhatsApp, inside the window: the handover message reaches the fake
    await waitFor("the handover message", () => sentTo(waId).length === 1);
    expect(sentTo(waId)[0]).toMatchObject({ type: "text" });
  });

  it("stores each kind of message with the text a person reads", async () => {
    const waId = newWaId();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: "button", button: { text: "Yes, send it", payload: "confirm-order" } }, "Yes, send it"],
      [
        {
          type: "interactive",
          interactive: { type: "button_reply", button_reply: { id: "b1", title: "Track" } },
        },
        "Track",
      ],
      [
        {
          type: "interactive",
          interactive: {
            type: "list_reply",
            list_reply: { id: "l2", title: "Blue mug", description: "350 ml" },
          },
        },
        "Blue mug",
      ],
      [
        {
          type: "location",
          location: { latitude: -6.2088, longitude: 106.8456, name: "Toko", address: "Jl. Sudirman 1" },
        },
        "📍 Toko, Jl. Sudirman 1 (-6.2088, 106.8456)",
      ],
      [
        {
          type: "contacts",
          contacts: [
            {
              name: { formatted_name: "Budi" },
              phones: [{ phone: "+62 811 2222 333", wa_id: "628112222333" }],
            },
          ],
        },
        "👤 Budi +62 811 2222 333",
      ],
      [
        { type: "image", image: { id: "media-1", mime_type: "image/jpeg", caption: "Pecah saat tiba" } },
        "Pecah saat tiba",
      ],
      [
        { type: "document", document: { id: "media-2", filename: "invoice.pdf", caption: "Faktur" } },
        "Faktur",
      ],
      [{ type: "reaction", reaction: { message_id: "wamid.x", emoji: "👍" } }, "👍"],
    ];
    for (const [message, text] of cases) {
      const wamid = await say(waId, message);
      expect((await interactionOf(wamid))?.text, JSON.stringify(message)).toBe(text);
    }
    const image = await database.db.interaction.findFirstOrThrow({
      where: { channel: "whatsapp", text: "Pecah saat tiba" },
    });
    expect(image.attachments).toEqual([{ kind: "image", mediaId: "media-1", mimeType: "image/jpeg" }]);
    // a contact card of someone else is a claim on the sender, never proof
    const claim = await database.db.contactClaim.findFirstOrThrow({ where: { value: "+628112222333" } });
    expect(claim.customerId).toBe(image.customerId);
    expect(claim.verifiedAt).toBeNull();
  });

  it("takes a rating button as the rating command, and skips what it does not understand", async () => {
    const waId = newWaId();
    const rated = await say(waId, {
      type: "interactive",
      interactive: { type: "button_reply", button_reply: { id: "rate:4", title: "4" } },
    });
    expect((await interactionOf(rated))?.text).toBe("/rate 4");
    const unsupported = await say(waId, { type: "unsupported", errors: [{ code: 131051 }] });
    expect(await interactionOf(unsupported)).toBeNull();
  });

  it("records STOP as the customer's opt-out of WhatsApp marketing", async () => {
    const waId = newWaId();
    await say(waId, { type: "text", text: { body: "START" } });
    const wamid = await say(waId, { type: "text", text: { body: "STOP" } });
    const stored = await interactionOf(wamid);
    expect(stored?.text).toBe("/stop");
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: stored!.customerId } });
    expect((customer.consent as Record<string, { status: string }>).whatsapp?.status).toBe("denied");
  });
});

describe("WhatsApp replies and statuses", () => {
  async function conversationWith(waId: string) {
    const wamid = await say(waId, { type: "text", text: { body: "Is anyone there?" } });
    const stored = await interactionOf(wamid);
    return stored!.conversationId!;
  }
  async function staffReply(conversationId: string, text: string) {
    const staff = await database.db.staffUser.create({
      data: { email: `agent-${randomUUID()}@shop.test`, name: "Agent", passwordHash: "x" },
    });
    const result = await queueStaffReply(
      { db: database.db, queues: app.queues, clock },
      { key: `r/staff/${randomUUID()}`, conversationId, staffUserId: staff.id, text },
    );
    if (result.kind !== "queued") throw new Error(`not queued: ${result.kind}`);
    return result.deliveryId;
  }

  it("sends a console reply inside the 24-hour window, and puts Meta's statuses on its Delivery", async () => {
    const waId = newWaId();
    const conversationId = await conversationWith(waId);
    const deliveryId = await staffReply(conversationId, "Yes! The blue mug ships tomorrow.");
    const sent = await waitFor("the reply at the fake", () =>
      sentTo(waId).find((m) => m.text === "Yes! The blue mug ships tomorrow."),
    );
    expect(sent.body).toMatchObject({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      type: "text",
    });
    const delivery = await waitFor("the Delivery sent", () =>
      database.db.delivery.findFirst({ where: { id: deliveryId, status: "sent" } }),
    );
    expect(delivery.providerId).toBe(sent.id);

    const at = Math.floor(now / 1000) + 5;
    const statuses = (status: string, extra: Record<string, unknown> = {}) =>
      whatsapp.sendWebhook(
        hookUrl,
        whatsapp.statusesNotification([
          { id: sent.id, status, recipient_id: waId, timestamp: String(at), ...extra },
        ]),
      );
    expect((await statuses("delivered")).status).toBe(200);
    expect((await statuses("read")).status).toBe(200);
    const stamped = await database.db.delivery.findUniqueOrThrow({ where: { id: deliveryId } });
    expect(stamped.deliveredAt).toEqual(new Date(at * 1000));
    expect(stamped.openedAt).toEqual(new Date(at * 1000));
    await statuses("failed", {
      errors: [
        { code: 131026, title: "Message undeliverable", error_data: { details: "Not a WhatsApp user" } },
      ],
    });
    const failed = await database.db.delivery.findUniqueOrThrow({ where: { id: deliveryId } });
    expect(failed).toMatchObject({ status: "failed", reason: "provider_failed" });
    expect(failed.error).toContain("131026");
  });

  it("fails a free-form reply outside the 24-hour window permanently, saying a template is needed", async () => {
    const waId = newWaId();
    const start = now;
    let conversationId: string;
    try {
      now = start - 25 * 60 * 60 * 1000; // the customer wrote 25 hours ago
      conversationId = await conversationWith(waId);
    } finally {
      now = start;
    }
    const before = whatsapp.sent.length;
    const deliveryId = await staffReply(conversationId, "Sorry for the wait!");
    const failed = await waitFor("the Delivery failed", () =>
      database.db.delivery.findFirst({ where: { id: deliveryId, status: "failed" } }),
    );
    expect(failed.reason).toBe("rejected");
    expect(failed.error).toMatch(/more than 24 hours.*template/);
    expect(whatsapp.sent.slice(before).filter((m) => m.text === "Sorry for the wait!")).toEqual([]);
  });
});
