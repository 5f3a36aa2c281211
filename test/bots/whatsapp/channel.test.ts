import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWhatsAppChannel } from "../../../bots/whatsapp/channel.ts";
import { manualClock } from "../../../lib/clock.ts";
import { PermanentSendError, RateLimitedError, TransientSendError } from "../../../lib/errors.ts";
import { type FakeWhatsApp, startFakeWhatsApp } from "../../fakes/index.ts";
import { useTestDatabase } from "../../support/db.ts";

const database = useTestDatabase();
const clock = manualClock(Date.UTC(2026, 10, 23, 3));
let whatsapp: FakeWhatsApp;

beforeAll(async () => {
  whatsapp = await startFakeWhatsApp({ now: clock.now });
});
afterAll(async () => {
  await whatsapp.close();
});

const channel = () =>
  createWhatsAppChannel({
    accessToken: whatsapp.accessToken,
    phoneNumberId: whatsapp.phoneNumberId,
    apiRoot: whatsapp.apiRoot,
    db: database.db,
    clock,
  });

/** A template message: it goes whatever the window, so only Meta's answer decides. */
const template = (to = "6281299990001") => ({
  deliveryId: randomUUID(),
  to,
  text: "Hi Sari, WINBACK-7Q2",
  template: { name: "winback_offer", language: "id", params: ["Sari", "WINBACK-7Q2"] },
});

describe("the WhatsApp channel", () => {
  it("sends an approved template with its body parameters, at 80 messages a second", async () => {
    const sent = await channel().send(template(), "k1");
    expect(sent.providerId).toMatch(/^wamid\./);
    expect(whatsapp.sent.at(-1)).toMatchObject({
      id: sent.providerId,
      type: "template",
      template: { name: "winback_offer", language: "id", params: ["Sari", "WINBACK-7Q2"] },
    });
    expect(channel().limit).toEqual({ max: 80, durationMs: 1_000 });
  });

  it.each([
    [130429, RateLimitedError],
    [131056, TransientSendError],
    [131048, RateLimitedError],
    [80007, RateLimitedError],
    [4, RateLimitedError],
    [131047, PermanentSendError],
    [131026, PermanentSendError],
    [190, PermanentSendError],
    [131000, TransientSendError],
  ])("maps Meta's error %i to %o", async (code, kind) => {
    // by its code, whatever the HTTP status (Meta answers some rate limits 400)
    whatsapp.failNext({ code, ...(kind === RateLimitedError && { status: 400 }) });
    const error = await channel()
      .send(template(), `k-${code}`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(kind);
    expect((error as PermanentSendError).context.providerCode).toBe(String(code));
  });

  it("waits a second for the number's throughput, longer for its hourly limits", async () => {
    const waitOf = async (code: number) => {
      whatsapp.failNext({ code, status: 400 });
      const error = await channel()
        .send(template(), `k-w${code}`)
        .catch((e: unknown) => e);
      return (error as RateLimitedError).retryAfterMs;
    };
    expect(await waitOf(130429)).toBe(1_000);
    expect(await waitOf(80007)).toBe(60_000);
  });

  it("says what to do: a template after 131047, a new token after 190", async () => {
    whatsapp.failNext({ code: 131047 });
    await expect(channel().send(template(), "k-a")).rejects.toThrow(/approved template message is needed/);
    whatsapp.failNext({ code: 190 });
    await expect(channel().send(template(), "k-b")).rejects.toThrow(/WHATSAPP_ACCESS_TOKEN was refused/);
  });

  it("refuses free-form text to someone who never wrote on WhatsApp, before asking Meta", async () => {
    const before = whatsapp.calls.length;
    const error = await channel()
      .send({ deliveryId: randomUUID(), to: "6281299990002", text: "Hello" }, "k-c")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentSendError);
    expect((error as Error).message).toMatch(/template/);
    expect(whatsapp.calls.length).toBe(before);
  });
});
