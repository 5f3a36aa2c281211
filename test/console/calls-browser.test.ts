import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureEvent } from "../../bots/index.ts";
import { createApiToken } from "../../lib/api-tokens.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { addStaff, PASSWORD, uniqueEmail } from "./support.ts";

// A signed-in agent on an ordinary console page; a phone system reports a call for them: the pop-over shows
// the caller, what they bought and what they may buy next, then the call's end with its duration.
const ARTIFACTS = "test/artifacts";
const database = useTestDatabase();
const redis = useTestRedis();
let app: TestApp;
let browser: Browser;
let token: string;
let email: string;
let polish: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  app = await startTestApp({
    databaseUrl: database.url,
    redisUrl: redis.url,
    prefix: redis.prefix,
    workers: false,
  });
  token = (await createApiToken(app.db, { name: "PBX", scopes: ["calls:write"], createdBy: "cli:test" }))
    .token;
  email = uniqueEmail("agent");
  await addStaff(app.db, email, "agent", { name: "Agus Agent" });
  polish = uniqueEmail("agentka");
  await addStaff(app.db, polish, "agent", { name: "Ola Agentka", locale: "pl" });
  for (const [orderId, sku, name, who] of [
    ["ID-1", "KOPI-1", "Kopi Toraja 250 g", "siti"],
    ["ID-2", "KOPI-1", "Kopi Toraja 250 g", "budi"],
    ["ID-3", "FILTER", "Paper filters", "budi"],
  ] as const) {
    await captureEvent(
      app.db,
      {
        type: "purchase",
        orderId,
        occurredAt: "2026-11-20T10:00:00Z",
        customer:
          who === "siti"
            ? { email: "siti@example.com", name: "Siti Rahma", phone: "+6281234567890" }
            : { email: "budi@example.com", name: "Budi" },
        total: "85000",
        currency: "IDR",
        items: [{ sku, name, quantity: 1, price: "85000" }],
        properties: {},
      },
      new Date("2026-11-20T10:00:00Z"),
    );
  }
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function signIn(page: Page, path: string, as = email): Promise<void> {
  await page.goto(`${app.url}${path}`);
  await page.getByLabel("Email").fill(as);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${app.url}${path}`);
}

const call = (body: Record<string, unknown>, agent = email) =>
  fetch(`${app.url}/api/calls`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ to: "+62215550100", agent, ...body }),
  });

describe("the screen pop in a browser", () => {
  it("pops the caller's panel on the agent's page as the phone rings, and shows the end with its duration", async () => {
    const { page, errors } = await openPage(browser, 1280, 800);
    const streamOpen = page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await signIn(page, "/console/customers");
    await streamOpen;

    const ringing = await call({ from: "+6281234567890", callId: "pbx-77", state: "ringing" });
    expect(ringing.status).toBe(201);
    const pop = page.locator(".call-pop");
    await pop.waitFor({ timeout: 10_000 });
    await expect.poll(() => pop.locator("h2").textContent()).toBe("Siti Rahma");
    expect(await pop.locator("[data-fact=call-state]").textContent()).toContain("Incoming call");
    expect(await pop.locator("[data-fact=purchases]").textContent()).toContain("Kopi Toraja 250 g");
    // Budi bought the coffee and filters: the likely next purchase
    expect(await pop.locator("[data-fact=suggestions]").textContent()).toContain("Paper filters");
    await page.screenshot({ path: `${ARTIFACTS}/console-call-pop-ringing-en-1280.png` });

    await call({ from: "+6281234567890", callId: "pbx-77", state: "ended", durationSeconds: 185 });
    await expect
      .poll(() => pop.locator("[data-fact=call-duration]").textContent(), { timeout: 10_000 })
      .toBe("3:05");
    expect(await page.locator(".call-pop").count()).toBe(1);

    // an unknown number: a new caller, whose profile the call already made
    await call({ from: "+48601999888", callId: "pbx-78", state: "ringing" });
    const stranger = page.locator(".call-pop", { hasText: "New caller +48601999888" });
    await stranger.waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${ARTIFACTS}/console-call-pop-new-caller-en-1280.png` });
    await stranger.locator("[data-call-profile]").click();
    await page.waitForURL(/\/console\/customers\/[0-9a-f-]{36}$/);
    expect(errors).toEqual([]);
  });

  it("fits a phone's screen, in the agent's language", async () => {
    const { page, errors } = await openPage(browser, 360, 740);
    const streamOpen = page.waitForResponse((r) => r.url().endsWith("/console/events"));
    await signIn(page, "/console/customers", polish);
    await streamOpen;
    await call({ from: "+6281234567890", callId: "pbx-79", state: "ringing" }, polish);
    const pop = page.locator(".call-pop");
    await pop.waitFor({ timeout: 10_000 });
    const box = (await pop.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(await pop.locator("[data-fact=call-state]").textContent()).toContain("Połączenie przychodzące");
    await page.screenshot({ path: `${ARTIFACTS}/console-call-pop-ringing-pl-360.png` });
    await pop.locator("[data-call-pop-close]").click();
    expect(await page.locator(".call-pop").count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
