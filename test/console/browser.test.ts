import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, openPage } from "../support/browser.ts";
import { useTestDatabase } from "../support/db.ts";
import { addStaff, PASSWORD, startConsole, uniqueEmail } from "./support.ts";

// The console in a real headless Chromium: what staff see on a phone and on a laptop.
const database = useTestDatabase();
let http: FastifyInstance;
let browser: Browser;
let base: string;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  await http.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  mkdirSync("test/artifacts", { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await http.close();
});

async function signInAs(page: Page, email: string, path = "/console/staff"): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}${path}`);
}

describe("the console in a browser", () => {
  it("signs in on a 360 px phone, fits the screen, and switches language", async () => {
    const email = uniqueEmail("phone");
    await addStaff(database.db, email, "admin", { name: "Putri Admin" });
    const { page, errors } = await openPage(browser, 360, 740);
    await signInAs(page, email);
    await page.screenshot({ path: "test/artifacts/console-staff-phone.png", fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // the browser told the server its time zone
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "rapport_tz")?.value).toBe(encodeURIComponent("Asia/Jakarta"));

    await page.locator("summary", { hasText: "Putri Admin" }).click();
    await page.getByRole("button", { name: "Bahasa Indonesia" }).click();
    await page.waitForURL(`${base}/console/staff`);
    expect(await page.getAttribute("html", "lang")).toBe("id");
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Staf");
    expect(errors).toEqual([]);
  });

  it("moves around with keyboard shortcuts and lists them with ?", async () => {
    const email = uniqueEmail("laptop");
    await addStaff(database.db, email, "admin");
    const { page, errors } = await openPage(browser, 1280, 800);
    await signInAs(page, email);
    await page.keyboard.press("g");
    await page.keyboard.press("i");
    await page.waitForURL(`${base}/console/inbox`);
    await page.screenshot({ path: "test/artifacts/console-inbox-laptop.png" });
    await page.keyboard.press("?");
    const dialog = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain("Inbox");
    await page.keyboard.press("Escape");
    await page.keyboard.press("g");
    await page.keyboard.press("s");
    await page.waitForURL(`${base}/console/staff`);
    // typing into a field is never taken for a shortcut
    await page.getByLabel("Name").fill("gi");
    expect(page.url()).toBe(`${base}/console/staff`);
    expect(errors).toEqual([]);
  });

  it("adds the CSRF header to the page's own fetch requests", async () => {
    const email = uniqueEmail("fetch");
    await addStaff(database.db, email, "agent");
    const { page, errors } = await openPage(browser, 1280, 800);
    await signInAs(page, email, "/console/inbox");
    const status = await page.evaluate(async () => {
      const body = new URLSearchParams({ locale: "pl" });
      const response = await fetch("/console/me/locale", { method: "POST", body, redirect: "manual" });
      return response.type === "opaqueredirect" ? 303 : response.status;
    });
    expect(status).toBe(303);
    const user = await database.db.staffUser.findUniqueOrThrow({ where: { email } });
    expect(user.locale).toBe("pl");
    expect(errors).toEqual([]);
  });
});
