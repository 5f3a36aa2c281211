import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import type { BotReply } from "../../../bots/reply.ts";
import { createWebchatChannel, registerWebchat } from "../../../bots/webchat/index.ts";
import { systemClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { launchBrowser } from "../../support/browser.ts";
import { useTestDatabase } from "../../support/db.ts";
import { waitFor } from "../../support/wait.ts";

// The widget in a real headless Chromium against a real server and database: what a visitor sees.
const SCREENSHOT = "test/artifacts/webchat.png";
const CODE_SCREENSHOT = "test/artifacts/webchat-code.png";
const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });
let channel: ReturnType<typeof createWebchatChannel>;
let browser: Browser;
let base: string;
// what the web chat queues for delivery: the verification code email, read here as the visitor's inbox
const sent: BotReply[] = [];

beforeAll(async () => {
  const hub = await registerWebchat(app, {
    db: database.db,
    onMessage: async (message) => {
      await captureMessage(database.db, message);
    },
    sendReply: async (reply) => void sent.push(reply),
    secret: "webchat-browser-secret",
    brandName: "Acme",
    publicUrl: "http://127.0.0.1",
    log: silentLogger,
    clock: systemClock,
  });
  channel = createWebchatChannel(hub);
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app.close();
});

/** Sends as the deliver worker does: a Delivery to the visitor, through the channel, then its Interaction. */
async function reply(visitorId: string, text: string): Promise<void> {
  const identity = await database.db.identity.findUniqueOrThrow({
    where: { channel_externalId: { channel: "webchat", externalId: visitorId } },
    select: { customerId: true },
  });
  const delivery = await database.db.delivery.create({
    data: {
      key: `r/staff/${randomUUID()}`,
      kind: "transactional",
      customerId: identity.customerId,
      channel: "webchat",
      recipient: visitorId,
      status: "sent",
    },
  });
  const { providerId } = await channel.send({ deliveryId: delivery.id, to: visitorId, text }, delivery.key);
  await database.db.interaction.create({
    data: {
      deliveryId: delivery.id,
      customerId: identity.customerId,
      channel: "webchat",
      direction: "outbound",
      author: "staff",
      externalId: `webchat:${providerId}`,
      text,
      sentAt: new Date(),
    },
  });
}

describe("the web chat widget in Chromium", () => {
  it("chats in Polish: sends on Enter, shows a live reply, and restores both after a reload", async () => {
    // the browser says English: the page's data-locale="pl" must win
    const page = await browser.newPage({ locale: "en-US", viewport: { width: 1024, height: 760 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${base}/webchat/demo?locale=pl`);

    const launcher = page.getByRole("button", { name: "Otwórz czat z Acme" });
    await launcher.click();
    await expect(page.getByRole("dialog", { name: "Czat z Acme" }).isVisible()).resolves.toBe(true);
    const input = page.getByPlaceholder("Napisz wiadomość…");
    await input.fill("Dzień dobry! Gdzie jest moje zamówienie #1042?");
    await input.press("Enter");

    const stored = await waitFor("the visitor's message in the database", () =>
      database.db.interaction.findFirst({
        where: { channel: "webchat", text: "Dzień dobry! Gdzie jest moje zamówienie #1042?" },
        include: { conversation: true },
      }),
    );
    expect(stored).toMatchObject({ direction: "inbound", author: "customer" });
    const visitorId = stored.conversation!.threadRef!;
    const kept = await page.evaluate(() => Object.entries(localStorage));
    expect(kept.map(([, value]) => JSON.parse(value).visitorId)).toEqual([visitorId]);
    expect(stored.externalId).toMatch(new RegExp(`^${visitorId}:[0-9a-f-]{36}$`));

    await reply(visitorId, "Paczka wyszła wczoraj, jutro będzie u Ciebie 📦");
    await page.getByText("Paczka wyszła wczoraj, jutro będzie u Ciebie 📦").waitFor();
    mkdirSync("test/artifacts", { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    await page.reload();
    await page.getByRole("button", { name: "Otwórz czat z Acme" }).click();
    const log = page.getByRole("log");
    await log.getByText("Paczka wyszła wczoraj").waitFor();
    await expect(log.getByText("Gdzie jest moje zamówienie #1042?").count()).resolves.toBe(1);
    await expect(log.getByText("Paczka wyszła wczoraj").count()).resolves.toBe(1);
    const order = await log.locator(".bubble").allTextContents();
    expect(order).toEqual([
      "Dzień dobry! Gdzie jest moje zamówienie #1042?",
      "Paczka wyszła wczoraj, jutro będzie u Ciebie 📦",
    ]);

    await page.getByRole("button", { name: "Otrzymuj odpowiedzi e-mailem" }).click();
    await page.getByLabel("Twój e-mail").fill("ola@example.com");
    await page.getByLabel("Twój e-mail").press("Enter");
    // the address is a claim until the code emailed there comes back
    await page.getByText("Wysłaliśmy 6-cyfrowy kod na ola@example.com.").waitFor();
    expect(sent.map((r) => [r.channel, r.to, r.template, r.locale])).toEqual([
      ["email", "ola@example.com", "verify-email", "pl"],
    ]);
    const code = String(sent[0]!.data?.code);
    const wrong = code === "000000" ? "111111" : "000000";
    await page.getByLabel("Kod z e-maila").fill(wrong);
    await page.getByLabel("Kod z e-maila").press("Enter");
    await page.getByText("To nie ten kod. Pozostało prób: 4.").waitFor();
    await page.getByLabel("Kod z e-maila").fill(code);
    await page.screenshot({ path: CODE_SCREENSHOT });
    await page.getByLabel("Kod z e-maila").press("Enter");
    await page.getByText("Dziękujemy! Odpowiemy też na ola@example.com.").waitFor();
    const identity = await database.db.identity.findUniqueOrThrow({
      where: { channel_externalId: { channel: "webchat", externalId: visitorId } },
      include: { customer: true },
    });
    expect(identity.customer.email).toBe("ola@example.com");

    await page.keyboard.press("Escape");
    await expect(page.getByRole("dialog").isHidden()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keeps a message sent while the network is down, says so, and delivers it once when it is back", async () => {
    const page = await browser.newPage({ locale: "id-ID" });
    let refused = 0;
    // the first attempt dies on the wire; the widget's retry goes through
    await page.route("**/webchat/api/messages", async (route) => {
      if (refused++ === 0) await route.abort("internetdisconnected");
      else await route.continue();
    });
    await page.goto(`${base}/webchat/demo`);
    // the live stream's opening says "online": let it open first, or it can hide the offline notice at once
    const streaming = page.waitForResponse((r) => r.url().includes("/webchat/api/events"));
    await page.getByRole("button", { name: "Buka chat dengan Acme" }).click();
    await streaming;
    await page.getByPlaceholder("Tulis pesan…").fill("Halo, apakah toko buka hari Minggu?");
    await page.getByRole("button", { name: "Kirim" }).click();
    await page.getByText("Anda sedang offline").waitFor();

    await waitFor("the retried message in the database", () =>
      database.db.interaction.findFirst({ where: { text: "Halo, apakah toko buka hari Minggu?" } }),
    );
    expect(refused).toBe(2);
    await page.getByText("Anda sedang offline").waitFor({ state: "hidden" });
    expect(
      await database.db.interaction.count({ where: { text: "Halo, apakah toko buka hari Minggu?" } }),
    ).toBe(1);
    await page.close();
  });
});
