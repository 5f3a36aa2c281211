import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ApiResponseError } from "twitter-api-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LimitFakes, type LineRun, startLimitFakes } from "../../bench/limits.ts";
import { createXClient } from "../../bots/x/index.ts";
import { FAKE_X_CREDENTIALS } from "../fakes/x.ts";

const outDir = mkdtempSync(path.join(tmpdir(), "rapport-limits-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe("bench/limits.ts fakes", () => {
  let fakes: LimitFakes;
  beforeAll(async () => {
    // X's window as long as the test: its 200 DMs can be spent before it renews
    fakes = await startLimitFakes({ xWindowMs: 600_000 });
  });
  afterAll(() => fakes.close());

  const telegramSend = (chatId: number) =>
    fetch(`${fakes.telegram.apiRoot}/bot${fakes.telegram.token}/sendMessage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: chatId, text: "hi" }),
    });

  it("Telegram answers a second message into one chat within a second, and the 31st of a second, with its 429", async () => {
    expect((await telegramSend(710_000_001)).status).toBe(200);
    const again = await telegramSend(710_000_001);
    expect(again.status).toBe(429);
    expect(await again.json()).toEqual({
      ok: false,
      error_code: 429,
      description: expect.stringMatching(/^Too Many Requests: retry after \d+$/),
      parameters: { retry_after: expect.any(Number) },
    });
    const burst = await Promise.all(Array.from({ length: 31 }, (_, i) => telegramSend(720_000_000 + i)));
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThan(0);
  });

  it("Resend answers the 6th request of a second with rate_limit_exceeded and its ratelimit headers, and refuses 101 emails in a batch", async () => {
    const email = { from: "Kopi <promo@bench.example>", to: "a@bench.example", subject: "Hi", text: "hi" };
    const post = (pathName: string, body: unknown) =>
      fetch(`${fakes.resend.baseUrl}${pathName}`, {
        method: "POST",
        headers: { authorization: `Bearer ${fakes.resend.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const answers = await Promise.all(Array.from({ length: 6 }, () => post("/emails", email)));
    const limited = answers.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(limited!.headers.get("ratelimit-limit")).toBe("5");
    expect(limited!.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await limited!.json()).toMatchObject({ name: "rate_limit_exceeded", statusCode: 429 });
    await expect
      .poll(
        async () =>
          (
            await post(
              "/emails/batch",
              Array.from({ length: 101 }, () => email),
            )
          ).status,
        {
          timeout: 5_000,
        },
      )
      .toBe(422);
  });

  it("Discord answers past 50 requests a second with a global 429, and past a channel's bucket with its X-RateLimit headers", async () => {
    const open = (i: number) =>
      fetch(`${fakes.discordGlobal.restUrl}/v10/users/@me/channels`, {
        method: "POST",
        headers: { authorization: `Bot ${fakes.discord.token}`, "content-type": "application/json" },
        body: JSON.stringify({ recipient_id: String(300_000_000_000_000_000n + BigInt(i)) }),
      });
    const answers = await Promise.all(Array.from({ length: 55 }, (_, i) => open(i)));
    const global = answers.find((r) => r.status === 429);
    expect(global).toBeDefined();
    expect(global!.headers.get("x-ratelimit-global")).toBe("true");
    expect(await global!.json()).toMatchObject({ global: true, retry_after: expect.any(Number) });

    // a second later the global window has room again: five messages into one channel, then the bucket is empty
    let opened: Response | undefined;
    await expect
      .poll(
        async () => {
          opened = await open(99);
          return opened.status;
        },
        { timeout: 5_000 },
      )
      .toBe(200);
    const dm = (await opened!.json()) as { id: string };
    const message = () =>
      fetch(`${fakes.discordGlobal.restUrl}/v10/channels/${dm.id}/messages`, {
        method: "POST",
        headers: { authorization: `Bot ${fakes.discord.token}`, "content-type": "application/json" },
        body: JSON.stringify({ content: "hi" }),
      });
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await message());
    expect(sent[0]!.headers.get("x-ratelimit-limit")).toBe("5");
    expect(sent[0]!.headers.get("x-ratelimit-bucket")).toBeTruthy();
    expect(sent[0]!.headers.get("x-ratelimit-reset-after")).toBeTruthy();
    const bucket = sent.at(-1)!;
    expect(bucket.status).toBe(429);
    expect(await bucket.json()).toMatchObject({ global: false, retry_after: expect.any(Number) });
  });

  it("X answers the 201st DM of a 15-minute window with a 429 and its x-rate-limit headers", async () => {
    const client = createXClient({ ...FAKE_X_CREDENTIALS, apiRoot: fakes.x.apiRoot });
    const dm = (i: number) =>
      client.v2.post(
        "dm_conversations/with/:participant_id/messages",
        { text: "hi" },
        { params: { participant_id: String(1_600_000_000_000_000_000n + BigInt(i)) } },
      );
    for (let i = 0; i <= 200; i++) {
      const userId = String(1_600_000_000_000_000_000n + BigInt(i));
      fakes.x.addDirectMessage({ userId, username: `bench${userId}`, text: "hi" });
    }
    for (let i = 0; i < 200; i++) await dm(i);
    const refused = await dm(200).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiResponseError);
    const error = refused as ApiResponseError;
    expect(error.code).toBe(429);
    expect(error.rateLimit).toMatchObject({ limit: 200, remaining: 0 });
    expect(error.rateLimit!.reset).toBeGreaterThan(0);
  });
});

/** Runs bench/limits.ts as a user would, on the test suite's PostgreSQL server and Redis. */
function runLimits(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (env.TEST_DATABASE_URL) env.DATABASE_URL = env.TEST_DATABASE_URL;
    else delete env.DATABASE_URL;
    if (env.TEST_REDIS_URL) env.REDIS_URL = env.TEST_REDIS_URL;
    const child = spawn("npx", ["tsx", "bench/limits.ts", ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("npx tsx bench/limits.ts --messages 50", () => {
  // a smoke check: the figures are machine-dependent and read from bench/results, never asserted here
  it("runs every line to the end and reports finite figures for each", async () => {
    const out = path.join(outDir, "limits.json");
    const { code, output } = await runLimits([
      "--messages",
      "50",
      "--email-processes",
      "1,2",
      "--scale-processes",
      "2",
      "--x-window-ms",
      "200",
      "--out",
      out,
    ]);
    expect(code, output).toBe(0);
    const { runs } = JSON.parse(readFileSync(out, "utf8")) as { runs: LineRun[] };
    expect(runs.map((r) => `${r.line.split(" (")[0]}×${r.processes}`)).toEqual([
      "telegram×1",
      "email×1",
      "email×2",
      "discord×1",
      "x×1",
      "scale-out telegram×2",
      "scale-out email×2",
    ]);
    for (const run of runs) {
      expect(run.outcomes.sent, run.line).toBeGreaterThan(0);
      for (const figure of [run.ms, run.perSecond, run.requests, run.limited, ...run.cpuMs])
        expect(Number.isFinite(figure), `${run.line}: ${JSON.stringify(run)}`).toBe(true);
      expect(run.perSecond).toBeGreaterThan(0);
      expect(run.cpuMs).toHaveLength(run.processes);
      if (!run.line.startsWith("scale")) expect(run.minimumMs).toBeGreaterThan(0);
    }
  }, 240_000);
});
