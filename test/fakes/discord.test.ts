import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeDiscord, startFakeDiscord } from "./discord.ts";

let discord: FakeDiscord;
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${discord.restUrl}/v10${path}`, {
    ...init,
    headers: { authorization: `Bot ${discord.token}`, "content-type": "application/json", ...init.headers },
  });

beforeAll(async () => {
  discord = await startFakeDiscord();
});
afterAll(async () => {
  await discord?.close();
});

describe("fake Discord REST", () => {
  it("announces its gateway in GET /gateway/bot", async () => {
    const body = await (await api("/gateway/bot")).json();
    expect(body).toMatchObject({
      url: discord.gatewayUrl,
      shards: 1,
      session_start_limit: { max_concurrency: 1 },
    });
  });

  it("sends Discord's rate-limit headers and a 429 body with retry_after in seconds", async () => {
    const channel = discord.guild.channelId;
    const ok = await api(`/channels/${channel}/messages`, {
      method: "POST",
      body: JSON.stringify({ content: "a" }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-limit")).toBe("5");
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("4");
    expect(Number(ok.headers.get("x-ratelimit-reset-after"))).toBeGreaterThan(0);
    expect(ok.headers.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]{32}$/);

    discord.failNext("POST /channels/:id/messages", { status: 429, retryAfter: 0.5, global: true });
    const limited = await api(`/channels/${channel}/messages`, {
      method: "POST",
      body: JSON.stringify({ content: "b" }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("x-ratelimit-global")).toBe("true");
    expect(await limited.json()).toMatchObject({
      message: "You are being rate limited.",
      retry_after: 0.5,
      global: true,
    });
  });

  it("answers 401 to a wrong bot token and 404 Unknown Channel to a channel it does not know", async () => {
    const wrong = await api("/users/@me", { headers: { authorization: "Bot nope" } });
    expect(wrong.status).toBe(401);
    const unknown = await api("/channels/1100000000000000000/messages", {
      method: "POST",
      body: JSON.stringify({ content: "hi" }),
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Unknown Channel", code: 10003 });
  });

  it("refuses to inject a failure into a route it does not serve", () => {
    expect(() => discord.failNext("POST /channels/:id/typing", { status: 500 })).toThrow(/no route/);
  });
});
