import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

/** Flags for a quiet, sandbox-free headless Chromium in containers and CI. */
export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

/**
 * The Chromium binary: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. A missing browser fails the test
 * with how to install it — a browser test is never skipped silently.
 */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: install Debian's chromium: apt-get install chromium (or set CHROMIUM_PATH to a Chromium binary)`,
    );
  }
  return path;
}

/** Launches headless Chromium through playwright-core. Close it in `afterAll`. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
}

/**
 * A tab in its own browser context (cookies, storage) at a laptop's or phone's size, in Jakarta's time zone,
 * collecting script errors (CSP violations included) and failed requests into `errors` for the test to assert.
 */
export async function openPage(
  browser: Browser,
  width: number,
  height: number,
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: "en-US",
    timezoneId: "Asia/Jakarta",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("response", (response) => {
    if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
  });
  return { page, errors };
}

/** Signs `email` in through the console's login page at `baseUrl`, and waits for the page it leads to. */
export async function signInAt(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.locator('form button[type="submit"]').first().click();
  await page.waitForURL(/\/console\/(?!login)/);
}
