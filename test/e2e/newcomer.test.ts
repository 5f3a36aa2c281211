import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PURCHASES, demoPurchaseEvent } from "../../console/demo-data.ts";
import { signBody } from "../../lib/signature.ts";
import {
  envFor,
  type FakeResend,
  type FakeX,
  startFakeResend,
  startFakeX,
  X_ROUTES,
} from "../fakes/index.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { freePort } from "../support/process.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { startWorkerProcess, type WorkerProcess } from "./support/worker-process.ts";

// The README's first steps, as a newcomer takes them: `rapport start` with no configuration at all (the
// embedded database in a fresh data folder), the first admin created through the link it prints, a visitor
// chatting through the web chat demo in another browser (proving an email, rating the answer by stars), and
// the answer given from the console. Then the README's next steps: keys for X and Resend (here the fakes) and
// the shop's webhook secret in the environment, a restart, a keyword hit on X answered publicly from the
// listening desk, and the shop's first orders whose thank-you emails the campaign page shows going out.
const ARTIFACTS = "test/artifacts";
const redis = useTestRedis();
const PASSWORD = "a newcomer's password";
const VISITOR_EMAIL = "ayu.lestari@example.com";
const WEBHOOK_SECRET = "the-shop's-webhook-secret-0123456789";
let dataDir: string;
let port: number;
let rapport: WorkerProcess;
let x: FakeX;
let resend: FakeResend;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dataDir = mkdtempSync(path.join(tmpdir(), "rapport-newcomer-"));
  port = await freePort();
  baseUrl = `http://localhost:${port}`;
  [x, resend] = await Promise.all([startFakeX(), startFakeResend({ rateLimit: Number.POSITIVE_INFINITY })]);
  // nothing but where Redis is (the test's own, under a prefix of its own) and a free port
  rapport = startRapport({});
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rapport?.stop();
  await Promise.all([x?.close(), resend?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

/** `rapport start` on the newcomer's data folder, with `env` added to the bare minimum. */
function startRapport(env: Record<string, string>): WorkerProcess {
  return startWorkerProcess(
    "rapport start",
    {
      RAPPORT_DATA_DIR: dataDir,
      PORT: String(port),
      REDIS_URL: redis.url,
      RAPPORT_QUEUE_PREFIX: redis.prefix,
      // JSON lines, so that an error logged on the way fails the test below (readable lines are the default)
      LOG_FORMAT: "json",
      ...env,
    },
    process.cwd(),
    "start",
  );
}

/** The code in the verification email written to the outbox for `email`, once it is there. */
function codeMailedTo(email: string): string | undefined {
  const folder = path.join(dataDir, "outbox", "email");
  if (!existsSync(folder)) return undefined;
  for (const file of readdirSync(folder)) {
    const eml = readFileSync(path.join(folder, file), "utf8");
    if (!eml.includes(`To: ${email}`)) continue;
    return /type this code in the chat:\s+(\d{6})/.exec(eml.replace(/=\r?\n/g, ""))?.[1];
  }
  return undefined;
}

describe("a newcomer's first minutes", () => {
  it("creates the first admin from the printed link and answers a web chat visitor", async () => {
    const printed = await waitFor(
      "rapport start to print how to create the first admin",
      () => {
        rapport.assertAlive();
        return rapport.logs.map((l) => String(l.msg ?? "")).find((m) => m.startsWith("No staff account yet"));
      },
      90_000,
    );
    // on the embedded database the command needs Rapport stopped, so the link comes first
    expect(printed).toContain("(or stop Rapport, run `npx rapport staff add you@example.com --role admin`");
    const link = /(http:\/\/\S+\/console\/setup\?token=[\w-]+)/.exec(printed)?.[1];
    expect(link, printed).toBeDefined();
    await waitFor("the banner", () => rapport.readyAt, 30_000);
    // the first start said what it was doing while it did it, in order, before the banner
    const printedLines = rapport.logs.map((l) => String(l.msg ?? ""));
    const steps = [
      printedLines.indexOf("Starting Rapport…"),
      printedLines.findIndex((l) =>
        /^ {2}creating the embedded database in .+ \(first start: up to a minute\)…$/.test(l),
      ),
      printedLines.findIndex((l) => /^ {2}applying \d+ migrations…$/.test(l)),
      printedLines.findIndex((l) => /^Ready in \d+\.\d s\.$/.test(l)),
      printedLines.findIndex((l) => l.startsWith("Rapport is running at")),
    ];
    expect(
      steps.every((at) => at >= 0),
      printedLines.join("\n"),
    ).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);

    const staff = await openPage(browser, 1440, 900);
    await staff.page.goto(link!);
    await staff.page.getByLabel("Your name").fill("Nina Newcomer");
    await staff.page.getByLabel("Email").fill("nina@example.com");
    await staff.page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await staff.page.getByLabel("Password again").fill(PASSWORD);
    const streamOpen = staff.page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await staff.page.getByRole("button", { name: "Create the admin and sign in" }).click();
    await staff.page.waitForURL(`${baseUrl}/console/inbox`);
    await streamOpen;
    expect(await staff.page.locator("header").textContent()).toContain("Nina Newcomer");
    // the link is spent: it now leads to the sign-in page
    const again = await browser.newPage();
    await again.goto(link!);
    expect(again.url()).toBe(`${baseUrl}/console/login`);
    await again.close();

    const visitor = await openPage(browser, 390, 844);
    await visitor.page.route("**/favicon.ico", (route) => route.fulfill({ status: 204 }));
    await visitor.page.goto(`${baseUrl}/webchat/demo`);
    await visitor.page.getByRole("button", { name: /^Open chat with/ }).click();
    await visitor.page
      .getByRole("textbox", { name: "Write a message…" })
      .fill("Hello, is my order on its way?");
    await visitor.page.getByRole("button", { name: "Send", exact: true }).click();

    // the visitor leaves an email and proves it with the code mailed there (the outbox: no email provider yet)
    await visitor.page.getByRole("button", { name: "Get replies by email" }).click();
    await visitor.page.getByRole("textbox", { name: "Your email" }).fill(VISITOR_EMAIL);
    await visitor.page.getByRole("button", { name: "Save", exact: true }).click();
    await visitor.page.getByText(`We sent a 6-digit code to ${VISITOR_EMAIL}`).waitFor({ timeout: 20_000 });
    const code = await waitFor("the code email in the outbox", () => codeMailedTo(VISITOR_EMAIL), 20_000);
    await visitor.page.getByRole("textbox", { name: "Code from the email" }).fill(code);
    await visitor.page.getByRole("button", { name: "Confirm", exact: true }).click();
    await visitor.page
      .getByText(`Thanks! We will also answer at ${VISITOR_EMAIL}.`)
      .waitFor({ timeout: 20_000 });

    // the conversation is renamed live by the proven email: no "Unknown customer", no reload
    const row = staff.page.locator(".inbox-row", { hasText: VISITOR_EMAIL });
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain("Web chat");
    await row.locator("a").first().click();
    await staff.page.waitForURL(/\/console\/conversations\/[0-9a-f-]{36}/);
    expect(await staff.page.locator(".thread").textContent()).toContain("Hello, is my order on its way?");
    // the widget told the visitor's time zone (the browser's, Jakarta): the panel shows their local time
    const panel = staff.page.getByRole("complementary", { name: "About the customer" });
    expect(await panel.textContent()).toMatch(/Their local time\s*\d{1,2}[:.]\d{2}/);
    const answer = "It left our warehouse this morning.";
    await staff.page.getByLabel("Reply on Web chat").fill(answer);
    await staff.page.getByRole("button", { name: "Send reply" }).click();
    await visitor.page.locator(".msg.theirs", { hasText: answer }).waitFor({ timeout: 20_000 });
    await staff.page
      .locator(".message-out", { hasText: answer })
      .locator('[data-delivery-status="sent"]')
      .waitFor({ timeout: 20_000 });
    await staff.page.screenshot({ path: `${ARTIFACTS}/newcomer-conversation.png`, fullPage: true });
    await visitor.page.screenshot({ path: `${ARTIFACTS}/newcomer-visitor.png` });

    // closing asks the visitor for a rating: five stars in the widget, one press, thanked once
    staff.page.once("dialog", (dialog) => void dialog.accept());
    await staff.page.locator("[data-close-button]").click();
    const stars = visitor.page.getByRole("group", { name: "Rate this conversation" });
    await stars.waitFor({ timeout: 20_000 });
    await stars.getByRole("button", { name: "5 stars" }).click();
    await visitor.page
      .locator(".msg.theirs", { hasText: "Thank you for your rating!" })
      .waitFor({ timeout: 20_000 });
    expect(await stars.count()).toBe(0);
    await visitor.page.screenshot({ path: `${ARTIFACTS}/newcomer-visitor-rated.png` });
    await waitFor(
      "the rating on the conversation's page",
      async () => {
        await staff.page.reload();
        return (await staff.page.locator(".toolbar-status").textContent())?.includes("rated 5/5");
      },
      20_000,
    );
    expect(await visitor.page.locator(".msg.theirs", { hasText: "Thank you for your rating!" }).count()).toBe(
      1,
    );

    expect(staff.errors).toEqual([]);
    expect(visitor.errors).toEqual([]);
    rapport.assertAlive();
    expect(rapport.logs.filter((l) => Number(l.level) >= 50)).toEqual([]);

    // the next steps: X and Resend keys, the shop's webhook secret, a restart; staff stay signed in
    await rapport.stop();
    rapport = startRapport({
      ...envFor({ x, resend }),
      X_KEYWORDS: "kopi senja",
      X_POLL_INTERVAL: "5",
      RAPPORT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    await waitFor("the banner after the restart", () => rapport.readyAt, 60_000);
    // the open console page lost its live stream while Rapport was down: what it logged then is expected
    staff.errors.length = 0;
    expect(rapport.logs.find((l) => String(l.msg).startsWith("  live"))?.msg).toBe(
      "  live       : x, email, webchat",
    );

    // someone talks about the brand on X: the listening desk shows it live, PR answers in public
    const desk = staff.page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await staff.page.goto(`${baseUrl}/console/listening`);
    await desk;
    // the listener's first search sets where it starts reading: what X had before is not news
    await waitFor("the first X search", () => x.callsTo(X_ROUTES.search).length > 0, 30_000);
    const post = x.addSearchResult({
      username: "budi_ngopi",
      text: "Kopi Senja is the best coffee in Bandung",
    });
    const hit = staff.page.locator("[data-hit-id]", { hasText: "best coffee in Bandung" });
    await hit.waitFor({ timeout: 30_000 });
    await hit.getByLabel("Your answer").fill("Thank you @budi_ngopi, see you at the roastery!");
    await hit.getByRole("button", { name: "Reply publicly" }).click();
    const reply = await waitFor("the public reply on X", () =>
      x.callsTo(X_ROUTES.tweet).find((c) => c.status >= 200 && c.status < 300),
    );
    expect(reply.body).toEqual({
      text: "Thank you @budi_ngopi, see you at the roastery!",
      reply: { in_reply_to_tweet_id: post.id },
    });
    const answered = staff.page.locator("[data-hit-id]", { hasText: "best coffee in Bandung" });
    await expect.poll(() => answered.locator("[data-hit-status]").textContent()).toBe("Answered");
    await staff.page.screenshot({ path: `${ARTIFACTS}/newcomer-listening.png`, fullPage: true });

    // the shop's first orders: the thank-you campaign's page shows the send running, then done, by itself
    resend.setLatency(8_000);
    const campaign = staff.page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await staff.page.goto(`${baseUrl}/console/campaigns/thank-you`);
    await campaign;
    for (const [i, purchase] of DEMO_PURCHASES.entries()) {
      const body = JSON.stringify(demoPurchaseEvent(`newcomer-${i}`, purchase).event);
      const response = await fetch(`${baseUrl}/api/events`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-rapport-signature": signBody(WEBHOOK_SECRET, body),
        },
        body,
      });
      expect(response.status).toBeLessThan(300);
    }
    const state = staff.page.locator("[data-send-state]");
    await expect
      .poll(() => state.textContent(), { timeout: 20_000 })
      .toMatch(/^Sending: \d of 3 messages done\.$/);
    await staff.page.screenshot({ path: `${ARTIFACTS}/newcomer-campaign-sending.png`, fullPage: true });
    const sent = staff.page.locator('tr[data-channel="email"] td[data-status="sent"]');
    await expect.poll(() => sent.textContent(), { timeout: 30_000 }).toBe("3");
    expect(await state.textContent()).not.toMatch(/^Sending/);
    await staff.page.screenshot({ path: `${ARTIFACTS}/newcomer-campaign-sent.png`, fullPage: true });
    // one thank-you each, to the three buyers: the email verification went to the outbox before the restart
    const thanked = resend.emails.flatMap((e) => (Array.isArray(e.to) ? e.to : [e.to]));
    expect(thanked.sort()).toEqual(DEMO_PURCHASES.map((p) => p.customer.email).sort());

    // the authors' avatars are on X's image host, which a machine without internet cannot reach
    expect(staff.errors.filter((e) => !e.includes("net::ERR_NAME_NOT_RESOLVED"))).toEqual([]);
    rapport.assertAlive();
    expect(rapport.logs.filter((l) => Number(l.level) >= 50)).toEqual([]);
  }, 300_000);
});
