import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureMessage } from "../../../bots/conversation.ts";
import type { BotReply } from "../../../bots/reply.ts";
import { registerWebchat } from "../../../bots/webchat/index.ts";
import { systemClock } from "../../../lib/clock.ts";
import { createHttpServer } from "../../../lib/http.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { launchBrowser } from "../../support/browser.ts";
import { useTestDatabase } from "../../support/db.ts";

// The widget's "Get offers by email" box in a real headless Chromium: what a visitor sees and what is sent.
const database = useTestDatabase();
const app = createHttpServer({ log: silentLogger });
let browser: Browser;
let base: string;
// what the web chat queues for delivery: the confirm email, read here as the visitor's inbox
const sent: BotReply[] = [];

beforeAll(async () => {
  await registerWebchat(app, {
    db: database.db,
    onMessage: async (message) => {
      await captureMessage(database.db, message);
    },
    sendReply: async (reply) => void sent.push(reply),
    secret: "webchat-offers-secret",
    linkSecret: "webchat-offers-link-secret-0123",
    brandName: "Acme",
    publicUrl: "http://127.0.0.1",
    log: silentLogger,
    clock: systemClock,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app.close();
});

describe("the widget's offers box in Chromium", () => {
  it("sends a confirm link to the typed address in Indonesian and says to open it; nothing is granted", async () => {
    const page = await browser.newPage({ locale: "en-US", viewport: { width: 1024, height: 760 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${base}/webchat/demo?locale=id`);
    await page.getByRole("button", { name: "Buka chat dengan Acme" }).click();

    await page.getByRole("button", { name: "Dapatkan promo lewat email" }).click();
    await page.getByLabel("Alamat untuk promo").fill("not an address");
    await page.getByLabel("Alamat untuk promo").press("Enter");
    await page.getByText("Masukkan alamat email yang valid.").waitFor();
    expect(sent).toEqual([]);

    await page.getByLabel("Alamat untuk promo").fill("ayu@example.com");
    await page.getByLabel("Alamat untuk promo").press("Enter");
    await page
      .getByText("Hampir selesai: buka email yang kami kirim ke ayu@example.com dan konfirmasi.")
      .waitFor();
    expect(sent.map((r) => [r.channel, r.to, r.template, r.locale])).toEqual([
      ["email", "ayu@example.com", "confirm-subscription", "id"],
    ]);
    expect(String(sent[0]!.data?.url)).toMatch(/^http:\/\/127\.0\.0\.1\/confirm\/[A-Za-z0-9_-]{60}$/);
    const customer = await database.db.customer.findUniqueOrThrow({ where: { id: sent[0]!.customerId } });
    expect(customer.email).toBeNull();
    expect(customer.consent).toMatchObject({ email: { status: "pending", via: "double_opt_in" } });
    expect(errors).toEqual([]);
    await page.close();
  });
});
