import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaffUser, firstStartHint } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { type CliRun, freePort, runRapport } from "../support/process.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { PASSWORD, uniqueEmail } from "./support.ts";

// Issue #6's "done when", in headless Chromium: a newcomer runs the app, creates an admin with the command it
// prints (the real `rapport` CLI), signs in, chats with the bot through the web chat widget in another tab,
// and answers from the console; then a colleague whose page hears no live updates is warned before answering
// twice.
const ARTIFACTS = "test/artifacts";
const database = useTestDatabase();
const redis = useTestRedis();
const workDir = mkdtempSync(path.join(tmpdir(), "rapport-newcomer-"));
let app: TestApp;
let browser: Browser;
let publicUrl: string;
let email: string;
/** What `rapport start` printed about the first account, and what the command it names answered. */
let newcomer: { hint: string | undefined; added: Awaited<ReturnType<typeof rapport>> };

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  publicUrl = `http://localhost:${port}`;
  email = uniqueEmail("ada");
  // the command is a separate process that takes seconds to start: run it while the app and Chromium start
  const hint = await firstStartHint(database.db, publicUrl);
  [app, browser, newcomer] = await Promise.all([
    startTestApp({
      databaseUrl: database.url,
      redisUrl: redis.url,
      prefix: redis.prefix,
      bots: true,
      env: { PORT: String(port), PUBLIC_URL: publicUrl },
    }),
    launchBrowser(),
    runPrinted(hint).then((added) => ({ hint, added })),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs the `npx rapport staff add you@example.com --role admin` a hint names, for our admin, as a newcomer would. */
async function runPrinted(hint: string | undefined) {
  const printed = /`npx rapport (staff add you@example\.com --role admin)`/.exec(hint ?? "")?.[1];
  if (!printed) throw new Error(`no staff add command in the first-start hint: ${hint}`);
  const args = printed.split(" ").map((arg) => (arg === "you@example.com" ? email : arg));
  return rapport([...args, "--name", "Ada Admin", "--password-stdin"], `${PASSWORD}\n`);
}

/** Runs `rapport …` as a real process against the test database, writing `input` to its stdin. */
function rapport(args: string[], input: string): Promise<CliRun> {
  return runRapport(args, {
    cwd: workDir,
    input,
    timeoutMs: 30_000,
    env: { DATABASE_URL: database.url, PUBLIC_URL: publicUrl, LOG_LEVEL: "warn" },
  });
}

async function signIn(page: Page, email: string, path: string): Promise<void> {
  await page.goto(`${app.url}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.url}${path}`);
}

const staffReply = (text: string) =>
  app.db.delivery.findFirst({ where: { data: { path: ["text"], equals: text } } });

describe("the newcomer path in a browser", () => {
  it("creates an admin with the printed command, answers a web chat visitor from the console, live both ways", async () => {
    // the command `rapport start` printed while there was no account, run for real
    expect(newcomer.hint).toContain(`then sign in at ${publicUrl}/console`);
    expect(newcomer.added.stderr).toBe("");
    expect(newcomer.added.stdout).toBe(`Added admin ${email}. Sign in at ${publicUrl}/console\n`);
    expect(newcomer.added.code).toBe(0);
    expect(await firstStartHint(app.db, publicUrl)).toBeUndefined();

    // the admin signs in and waits on the inbox
    const staff = await openPage(browser, 1440, 900);
    const streamOpen = staff.page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await signIn(staff.page, email, "/console/inbox");
    await streamOpen;
    await staff.page.evaluate(() => Object.assign(window, { stillThisPage: true }));

    // a visitor, in another browser, writes through the widget on the demo page
    const visitor = await openPage(browser, 390, 844);
    // the demo page has no icon: Chromium's own request for one is not the app's failure
    await visitor.page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
    await visitor.page.goto(`${app.url}/webchat/demo`);
    await visitor.page.getByRole("button", { name: /^Open chat with/ }).click();
    const widgetBox = visitor.page.getByRole("textbox", { name: "Write a message…" });
    await widgetBox.fill("Hi! Do you ship to Bandung?");
    await visitor.page.getByRole("button", { name: "Send", exact: true }).click();
    await visitor.page.locator(".msg.mine.sent", { hasText: "Do you ship to Bandung?" }).waitFor();

    // the conversation appears in the inbox, live
    const row = staff.page.locator(".inbox-row", { hasText: "Web chat" });
    await row.waitFor({ timeout: 15_000 });
    expect(
      await staff.page.evaluate(() => (window as unknown as { stillThisPage?: boolean }).stillThisPage),
    ).toBe(true);
    await staff.page.screenshot({ path: `${ARTIFACTS}/webchat-inbox-live.png` });

    // opened: the message, the customer panel
    await row.locator("a").first().click();
    await staff.page.waitForURL(/\/console\/conversations\/[0-9a-f-]{36}/);
    const panel = staff.page.getByRole("complementary", { name: "About the customer" });
    expect(await panel.textContent()).toContain("Marketing consent");
    expect(await staff.page.locator(".thread").textContent()).toContain("Hi! Do you ship to Bandung?");

    // the admin answers; the visitor's tab hears it over SSE
    const answer = "Yes, we ship to Bandung in 2 days.";
    await staff.page.getByLabel("Reply on Web chat").fill(answer);
    await staff.page.getByRole("button", { name: "Send reply" }).click();
    await visitor.page.locator(".msg.theirs", { hasText: answer }).waitFor({ timeout: 15_000 });
    await staff.page
      .locator(".message-out", { hasText: answer })
      .locator('[data-delivery-status="sent"]')
      .waitFor({ timeout: 15_000 });
    const delivery = await waitFor("the reply's Delivery to be sent", async () => {
      const found = await staffReply(answer);
      return found?.status === "sent" ? found : undefined;
    });
    expect(delivery).toMatchObject({ channel: "webchat", kind: "transactional" });
    const interaction = await app.db.interaction.findUniqueOrThrow({ where: { deliveryId: delivery.id } });
    expect(interaction).toMatchObject({ direction: "outbound", author: "staff", text: answer });
    await visitor.page.screenshot({ path: `${ARTIFACTS}/webchat-visitor.png` });
    await staff.page.screenshot({ path: `${ARTIFACTS}/webchat-conversation.png`, fullPage: true });

    // a colleague opens it where live updates never arrive (a proxy buffering the stream, say)
    const colleagueEmail = uniqueEmail("bagus");
    await createStaffUser(
      { db: app.db, clock: systemClock },
      { email: colleagueEmail, role: "agent", name: "Bagus", password: PASSWORD },
      { type: "system" },
    );
    const colleague = await openPage(browser, 1280, 800);
    await colleague.page.route("**/console/events", (route) => route.abort());
    const conversationPath = new URL(staff.page.url()).pathname;
    await signIn(colleague.page, colleagueEmail, conversationPath);
    // meanwhile the admin answers again: the colleague's page does not show it
    const second = "Anything else I can help with?";
    await staff.page.getByLabel("Reply on Web chat").fill(second);
    await staff.page.getByRole("button", { name: "Send reply" }).click();
    await waitFor("the second reply to be queued", () => staffReply(second));

    const colleagueBox = colleague.page.getByLabel("Reply on Web chat");
    await colleagueBox.fill("Hello, Bagus here: shipping is free.");
    await colleague.page.getByRole("button", { name: "Send reply" }).click();
    const refused = colleague.page.locator("[data-reply-refused]");
    await refused
      .getByText("Ada Admin replied after you opened this conversation", { exact: false })
      .waitFor();
    // the text stays, the admin's answer is now on the page, and nothing went out
    expect(await colleagueBox.inputValue()).toBe("Hello, Bagus here: shipping is free.");
    await colleague.page.locator(".thread .message-out", { hasText: second }).waitFor();
    expect(await staffReply("Hello, Bagus here: shipping is free.")).toBeNull();
    await colleague.page.screenshot({ path: `${ARTIFACTS}/webchat-collision.png`, fullPage: true });

    await colleague.page.getByRole("button", { name: "Send anyway" }).click();
    await visitor.page.locator(".msg.theirs", { hasText: "Bagus here" }).waitFor({ timeout: 15_000 });
    await refused.waitFor({ state: "hidden" });
    expect(await colleagueBox.inputValue()).toBe("");
    const forced = await app.db.auditLog.findFirstOrThrow({
      where: { action: "conversation.reply", data: { path: ["forced"], equals: true } },
    });
    expect(forced.staffUserId).not.toBeNull();

    expect(staff.errors).toEqual([]);
    expect(visitor.errors).toEqual([]);
    // the stream it could not open and the refused reply are the only failures it saw
    const expected = [/\/console\/events$/, /^409 .*\/reply$/, /net::ERR_FAILED/, /status of 409/];
    expect(colleague.errors.filter((e) => !expected.some((known) => known.test(e)))).toEqual([]);
  }, 60_000);
});
