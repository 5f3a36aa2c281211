import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { addConversation } from "./inbox/support.ts";
import { addStaff, PASSWORD, uniqueEmail } from "./support.ts";

// Issue 15's inbox ergonomics in Chromium: at 1280 px the list of the inbox the staff member came from sits
// beside the conversation, `/` in the reply box suggests canned responses, `]` resolves and opens the next;
// at 360 px nothing is wider than the screen.
const database = useTestDatabase();
const redis = useTestRedis();
const ARTIFACTS = "test/artifacts";
let app: TestApp;
let browser: Browser;
const ids: Record<"kasia" | "budi" | "tom", string> = { kasia: "", budi: "", tom: "" };
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [app, browser] = await Promise.all([
    startTestApp({ databaseUrl: database.url, redisUrl: redis.url, prefix: redis.prefix }),
    launchBrowser(),
  ]);
  await app.db.cannedResponse.createMany({
    data: [
      {
        shortcut: "greet",
        locale: "en",
        title: "Greeting",
        body: "Hi {{customer.firstName}}, how can we help?",
      },
      {
        shortcut: "shipping",
        locale: "en",
        title: "Shipping times",
        body: "Your order ships within one day.",
      },
      { shortcut: "refund", locale: "en", title: "Refund on its way", body: "Your refund is on its way." },
    ],
  });
  const seed = async (name: keyof typeof ids, seed: Parameters<typeof addConversation>[1]) => {
    ids[name] = (await addConversation(app.db, seed)).conversationId;
    await app.db.conversation.update({ where: { id: ids[name] }, data: { labels: ["vip"] } });
  };
  await seed("kasia", {
    name: "Kasia Nowak",
    lastMessageAt: minutesAgo(1),
    messages: [{ text: "Dzień dobry, gdzie jest moje zamówienie numer 1042?", sentAt: minutesAgo(1) }],
  });
  await seed("budi", {
    name: "Budi Santoso",
    channel: "webchat",
    lastMessageAt: minutesAgo(2),
    messages: [{ text: "Pesanan saya belum sampai, tolong dicek", sentAt: minutesAgo(2) }],
  });
  await seed("tom", {
    name: "Tom",
    channel: "discord",
    lastMessageAt: minutesAgo(3),
    messages: [{ text: "Where is my order?", sentAt: minutesAgo(3) }],
  });
  // not labelled vip: never in the filtered list
  await addConversation(app.db, { name: "Eve", lastMessageAt: minutesAgo(0.5) });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signIn(page: Page, path: string, locale: "en" | "pl" = "en"): Promise<void> {
  const email = uniqueEmail("agent");
  await addStaff(app.db, email, "agent", { name: "Ayu Agent", locale });
  await page.goto(`${app.url}/console/login?next=${encodeURIComponent(path)}`);
  await page.locator("#login-email").fill(email);
  await page.locator("#login-password").fill(PASSWORD);
  await page.locator('form button[type="submit"]').click();
  await page.waitForURL(`${app.url}${path}`);
}

const widest = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describe("the inbox at 1280 px", () => {
  it("shows the filtered list beside the conversation, suggests canned responses on /, and resolves to the next", async () => {
    const { page, errors } = await openPage(browser, 1280, 800);
    await signIn(page, "/console/inbox?label=vip");
    await page.screenshot({ path: `${ARTIFACTS}/inbox-labels-1280.png`, fullPage: true });
    await page.locator(`#conv-${ids.kasia} a`).click();
    await page.waitForURL(`${app.url}/console/conversations/${ids.kasia}?label=vip`);

    // the list of the inbox it came from (label vip: not Eve), beside the conversation
    const list = page.locator(".workspace-list");
    await expect(list.isVisible()).resolves.toBe(true);
    const listed = await list.locator(".inbox-row").evaluateAll((rows) => rows.map((r) => r.id));
    expect(listed).toEqual([`conv-${ids.kasia}`, `conv-${ids.budi}`, `conv-${ids.tom}`]);
    expect(await list.locator("[aria-current=page]").count()).toBe(1);
    const listBox = (await list.boundingBox())!;
    const mainBox = (await page.locator(".workspace-main").boundingBox())!;
    expect(listBox.x + listBox.width).toBeLessThanOrEqual(mainBox.x);
    expect(Math.abs(listBox.y - mainBox.y)).toBeLessThan(40);
    expect(await widest(page)).toBeLessThanOrEqual(1280);

    // "/" opens the suggestions; typing filters them; Enter inserts the first, rendered
    const reply = page.locator("#reply-text");
    const listbox = page.getByRole("listbox", { name: "Canned responses" });
    await reply.click();
    await reply.pressSequentially("Thanks! /");
    await expect(listbox.isVisible()).resolves.toBe(true);
    expect(await listbox.locator("[role=option]:not([hidden])").count()).toBe(3);
    await reply.pressSequentially("re");
    const shown = listbox.locator("[role=option]:not([hidden])");
    expect(await shown.count()).toBe(1);
    expect(await shown.getAttribute("aria-selected")).toBe("true");
    expect(await reply.getAttribute("aria-activedescendant")).toBe(await shown.getAttribute("id"));
    await page.screenshot({ path: `${ARTIFACTS}/inbox-slash-1280.png` });
    await page.keyboard.press("Enter");
    await expect.poll(() => reply.inputValue()).toBe("Thanks! Your refund is on its way.");
    await expect(listbox.isVisible()).resolves.toBe(false);

    // arrows move, the mouse picks; placeholders filled for this customer
    await reply.fill("");
    await reply.pressSequentially("/");
    await page.keyboard.press("ArrowDown");
    expect(await listbox.locator("[aria-selected=true]").textContent()).toContain("/refund");
    await page.keyboard.press("ArrowUp");
    expect(await listbox.locator("[aria-selected=true]").textContent()).toContain("/greet");
    await listbox.getByRole("option", { name: /shipping/ }).click();
    await expect.poll(() => reply.inputValue()).toBe("Your order ships within one day.");
    await reply.fill("");
    await reply.pressSequentially("/gr");
    await page.keyboard.press("Tab");
    await expect.poll(() => reply.inputValue()).toBe("Hi Kasia, how can we help?");

    // Esc closes the list and leaves the text; a / inside a word or a path suggests nothing
    await reply.fill("");
    await reply.pressSequentially("/sh");
    await page.keyboard.press("Escape");
    await expect(listbox.isVisible()).resolves.toBe(false);
    expect(await reply.inputValue()).toBe("/sh");
    // typed again, the / suggests again
    await reply.fill("");
    await reply.pressSequentially("/");
    await expect(listbox.isVisible()).resolves.toBe(true);
    await page.keyboard.press("Escape");
    await reply.fill("");
    await reply.pressSequentially("and/or");
    await expect(listbox.isVisible()).resolves.toBe(false);

    // a label added on the page shows in the list's row
    await reply.fill("");
    await page.locator("#label-add").fill("Zwrot");
    await page.getByRole("button", { name: "Add label" }).click();
    await page.waitForURL(`${app.url}/console/conversations/${ids.kasia}?label=vip`);
    await page.locator(`#conv-${ids.kasia} .tag-label`, { hasText: "zwrot" }).waitFor();
    await page.screenshot({ path: `${ARTIFACTS}/inbox-conversation-1280.png`, fullPage: true });

    // ] resolves (after the close question) and opens the next conversation of the same list
    page.on("dialog", (dialog) => dialog.accept());
    await page.locator("h1").click();
    await page.keyboard.press("]");
    await page.waitForURL(`${app.url}/console/conversations/${ids.budi}?label=vip`);
    const closed = await app.db.conversation.findUniqueOrThrow({ where: { id: ids.kasia } });
    expect(closed.status).toBe("closed");
    // the closed one left the open list beside
    await page.locator(`#conv-${ids.budi} a[aria-current=page]`).waitFor();
    expect(await page.locator(`#conv-${ids.kasia}`).count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

describe("the inbox at 360 px, in Polish", () => {
  it("searches messages and shows a conversation without anything wider than the screen", async () => {
    const { page, errors } = await openPage(browser, 360, 780);
    await signIn(page, "/console/inbox", "pl");
    await page.locator("#filter-q").fill("pesanan");
    await page.locator("#filter-q").press("Enter");
    await page.waitForURL(/q=pesanan/);
    expect(await page.locator(".inbox-row").count()).toBe(1);
    expect(await page.locator(".inbox-row mark").textContent()).toBe("Pesanan");
    expect(await widest(page)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: `${ARTIFACTS}/inbox-search-360.png`, fullPage: true });

    await page.locator(".inbox-row a").click();
    await page.waitForURL(`${app.url}/console/conversations/${ids.budi}?q=pesanan`);
    // below 1280 px the list is not beside the conversation
    await expect(page.locator(".workspace-list").isVisible()).resolves.toBe(false);
    expect(await widest(page)).toBeLessThanOrEqual(360);
    await page.locator("#reply-text").pressSequentially("/");
    await expect(page.getByRole("listbox", { name: "Gotowe odpowiedzi" }).isVisible()).resolves.toBe(true);
    expect(await page.getByRole("button", { name: "Rozwiąż i dalej" }).isVisible()).toBe(true);
    expect(await widest(page)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: `${ARTIFACTS}/inbox-conversation-360.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
