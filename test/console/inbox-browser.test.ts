import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffUser } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { envFor, type FakeTelegram, startFakeTelegram } from "../fakes/index.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { PASSWORD, uniqueEmail } from "./support.ts";

// The whole product as `rapport start` runs it (bots, workers, console) with a fake Telegram, driven by a
// staff member in headless Chromium: a customer writes, the inbox shows it live, staff answer from the console.
const ARTIFACTS = "test/artifacts";
const database = useTestDatabase();
const redis = useTestRedis();
let telegram: FakeTelegram;
let app: TestApp;
let browser: Browser;
let email: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  telegram = await startFakeTelegram();
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    bots: true,
    env: { ...envFor({ telegram }) },
  });
  email = uniqueEmail("admin");
  const created = await createStaffUser(
    { db: app.db, clock: systemClock },
    { email, role: "admin", name: "Adi Admin", password: PASSWORD },
    { type: "system" },
  );
  expect(created.kind).toBe("created");
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await telegram?.close();
});

async function signIn(page: Page, path: string): Promise<void> {
  await page.goto(`${app.url}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.url}${path}`);
}

describe("the inbox in a browser", () => {
  it("shows a Telegram message live, opens it with the customer panel, and replies through Telegram", async () => {
    const { page, errors } = await openPage(browser, 1440, 900);
    const streamOpen = page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await signIn(page, "/console/inbox");
    await streamOpen;
    // a marker a reload would lose
    await page.evaluate(() => Object.assign(window, { stillThisPage: true }));

    await telegram.pushUpdate(
      telegram.textUpdate({
        chatId: 7_700_001,
        firstName: "Dewi",
        languageCode: "id",
        text: "Halo, pesanan saya di mana?",
      }),
    );
    // by name: the preview soon shows the bot's answer instead of the customer's words
    const row = page.locator(".inbox-row", { hasText: "Dewi" });
    await row.waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { stillThisPage?: boolean }).stillThisPage)).toBe(
      true,
    );
    expect(await row.locator(".badge").textContent()).toContain("1");
    await page.screenshot({ path: `${ARTIFACTS}/inbox-live.png` });

    // j selects it, Enter opens it
    await page.keyboard.press("j");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/conversations\/[0-9a-f-]{36}/);
    const panel = page.getByRole("complementary", { name: "About the customer" });
    await expect(panel.getByRole("heading", { name: "Dewi" }).isVisible()).resolves.toBe(true);
    expect(await panel.textContent()).toContain("Marketing consent");
    expect(await page.locator(".thread").textContent()).toContain("Halo, pesanan saya di mana?");

    // r focuses the reply box
    await page.keyboard.press("r");
    await page.keyboard.type("Pesanan Anda sudah dikirim hari ini.");
    await page.getByRole("button", { name: "Send reply" }).click();
    const sent = await waitFor("the reply on Telegram", () =>
      telegram.sent.find((m) => m.chat.id === 7_700_001 && m.text === "Pesanan Anda sudah dikirim hari ini."),
    );
    expect(sent).toBeDefined();
    // the message's status follows the delivery, live
    const reply = page.locator(".message-out", { hasText: "Pesanan Anda sudah dikirim hari ini." });
    await reply.locator('[data-delivery-status="sent"]').waitFor({ timeout: 20_000 });
    expect(await reply.textContent()).toContain("Adi Admin");
    const interaction = await app.db.interaction.findFirstOrThrow({
      where: { text: "Pesanan Anda sudah dikirim hari ini." },
    });
    expect(interaction.author).toBe("staff");
    await page.screenshot({ path: `${ARTIFACTS}/conversation-laptop.png`, fullPage: true });

    // a colleague opens the same conversation, types and replies: the first page warns about each, live
    const colleagueEmail = uniqueEmail("agent");
    await createStaffUser(
      { db: app.db, clock: systemClock },
      { email: colleagueEmail, role: "agent", name: "Bagus", password: PASSWORD },
      { type: "system" },
    );
    const colleague = await openPage(browser, 1280, 800);
    await colleague.page.goto(page.url());
    await colleague.page.getByLabel("Email").fill(colleagueEmail);
    await colleague.page.getByLabel("Password").fill(PASSWORD);
    await colleague.page.getByRole("button", { name: "Sign in" }).click();
    await colleague.page.waitForURL(page.url());
    const warning = page.locator("[data-collision]");
    await warning.getByText("Bagus is viewing this conversation.").waitFor({ timeout: 20_000 });
    await colleague.page.getByLabel("Reply on Telegram").fill("Saya bantu cek");
    await warning.getByText("Bagus is typing a reply…").waitFor({ timeout: 20_000 });
    await colleague.page.getByRole("button", { name: "Send reply" }).click();
    await warning
      .getByText("Bagus replied after you opened this conversation.", { exact: false })
      .waitFor({ timeout: 20_000 });
    // and the colleague sees the admin is there too
    await colleague.page
      .locator("[data-collision]")
      .getByText("Adi Admin is viewing")
      .waitFor({ timeout: 30_000 });
    expect(colleague.errors).toEqual([]);

    // the same conversation on a phone: one column, the panel under the conversation, nothing wider than the screen
    const phone = await openPage(browser, 360, 740);
    await signIn(phone.page, new URL(page.url()).pathname);
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    const [thread, aside] = await Promise.all([
      phone.page.locator(".thread").boundingBox(),
      phone.page.getByRole("complementary", { name: "About the customer" }).boundingBox(),
    ]);
    expect(aside!.y).toBeGreaterThan(thread!.y);
    await phone.page.screenshot({ path: `${ARTIFACTS}/conversation-phone.png`, fullPage: true });

    const dashboard = await page.goto(`${app.url}/console/dashboard`);
    if (dashboard?.status() === 200)
      await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    expect(errors.filter((e) => !e.includes("/console/dashboard"))).toEqual([]);
    expect(phone.errors).toEqual([]);
  }, 120_000);
});
