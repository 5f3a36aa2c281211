import { type IncomingMessage, request } from "node:http";
import { expect } from "vitest";
import type { LiveEvent } from "../../console/live.ts";
import { BROWSER, csrfField, PASSWORD } from "./support.ts";

/** Signs in through the real login form over HTTP, as a browser does; the session cookie and CSRF token. */
export async function signInOver(baseUrl: string, email: string): Promise<{ cookie: string; csrf: string }> {
  const page = await fetch(`${baseUrl}/console/login`, { headers: BROWSER });
  const loginCookie = /rapport_login_csrf=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")?.[1];
  const form = new URLSearchParams({ email, password: PASSWORD, _csrf: csrfField(await page.text()) });
  const posted = await fetch(`${baseUrl}/console/login`, {
    method: "POST",
    redirect: "manual",
    headers: {
      ...BROWSER,
      "content-type": "application/x-www-form-urlencoded",
      cookie: `rapport_login_csrf=${loginCookie}`,
    },
    body: form.toString(),
  });
  expect(posted.status).toBe(303);
  const session = /rapport_session=([^;]+)/.exec(posted.headers.get("set-cookie") ?? "")?.[1];
  const cookie = `rapport_session=${session}`;
  const inbox = await (await fetch(`${baseUrl}/console/inbox`, { headers: { ...BROWSER, cookie } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(inbox)?.[1];
  if (!csrf) throw new Error("no CSRF token on the inbox page");
  return { cookie, csrf };
}

/** An open /console/events stream: what it answered, the events read so far, and how to wait for one. */
export interface Stream {
  response: IncomingMessage;
  text(): string;
  events(): LiveEvent[];
  next(match: (event: LiveEvent) => boolean, timeoutMs?: number): Promise<LiveEvent>;
  close(): void;
}

/** Opens an event stream (`GET /console/events`) as a browser's EventSource does, with a session cookie. */
export function openStream(url: string, cookie?: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { headers: { accept: "text/event-stream", ...(cookie && { cookie }) } },
      (response) => {
        let buffer = "";
        const waiters = new Set<() => void>();
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffer += chunk;
          for (const wake of waiters) wake();
        });
        const events = () =>
          buffer
            .split("\n\n")
            .filter((block) => block.startsWith("event: live\n"))
            .map((block) => JSON.parse(block.split("\ndata: ")[1]!) as LiveEvent);
        resolve({
          response,
          text: () => buffer,
          events,
          next(match, timeoutMs = 2_000) {
            return new Promise((done, fail) => {
              const check = () => {
                const found = events().find(match);
                if (!found) return;
                waiters.delete(check);
                clearTimeout(timer);
                done(found);
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no matching event within ${timeoutMs} ms; got: ${buffer}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            });
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}
