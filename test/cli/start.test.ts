import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MIGRATIONS_DIR, migrationNames } from "../../lib/db/index.ts";
import { freePort } from "../support/process.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";

// `npm start` as a newcomer runs it, piped (`npm start | tee start.log`): a fresh data folder (the embedded
// database is created), no LOG_FORMAT. One first start serves the file; the last test starts it again with
// LOG_FORMAT=json. The CLI is English only, as every other command's output.

const BIN = path.resolve("cli/bin.js");
const redis = useTestRedis();
const dataDir = mkdtempSync(path.join(tmpdir(), "rapport-start-"));
let port: number;

/** A running `rapport start`: its stdout lines with the time each arrived. */
interface Started {
  child: ChildProcess;
  lines: Array<{ at: number; text: string }>;
  stderr: string[];
  stop(): Promise<void>;
}

function start(env: Record<string, string>): Started {
  const { PATH = "", HOME = "" } = process.env;
  const child = spawn(process.execPath, [BIN, "start"], {
    cwd: dataDir,
    env: {
      PATH,
      HOME,
      RAPPORT_DATA_DIR: path.join(dataDir, ".data"),
      PORT: String(port),
      REDIS_URL: redis.url,
      RAPPORT_QUEUE_PREFIX: redis.prefix,
      // email has credentials (never used here): live; the chat bots have none: outbox only
      RESEND_API_KEY: "re_test_never_called",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Started["lines"] = [];
  const stderr: string[] = [];
  let pending = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop() ?? "";
    for (const text of parts) lines.push({ at: Date.now(), text });
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  return {
    child,
    lines,
    stderr,
    async stop() {
      process.removeListener("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Waits until a line matches, failing early (with stderr) if the process died. */
function line(run: Started, pattern: RegExp, timeoutMs = 15_000) {
  return waitFor(
    `a line matching ${pattern}`,
    () => {
      if (run.child.exitCode !== null) throw new Error(`rapport start exited: ${run.stderr.join("")}`);
      return run.lines.find((l) => pattern.test(l.text));
    },
    timeoutMs,
  );
}

const banner = (run: Started) => {
  const from = run.lines.findIndex((l) => l.text.startsWith("Rapport is running at"));
  return run.lines.slice(
    from,
    run.lines.findIndex((l, i) => i > from && l.text === "Press Ctrl+C to stop."),
  );
};

let first: Started;

beforeAll(async () => {
  port = await freePort();
  // debug, so that a campaign clock tick that planned nothing shows (at debug) within a second
  first = start({ LOG_LEVEL: "debug", RAPPORT_CAMPAIGN_CLOCK: "1" });
  // a first start: 35-50 s on 2 cores, twice that beside another test file's work
  await line(first, /^Press Ctrl\+C to stop\.$/, 200_000);
}, 210_000);

afterAll(async () => {
  await first?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("rapport start", () => {
  it("says what a first start is doing as it does it, with the real number of migrations", () => {
    const texts = first.lines.map((l) => l.text);
    const at = (pattern: RegExp) => {
      const found = first.lines.find((l) => pattern.test(l.text));
      expect(found, `a line matching ${pattern} in:\n${texts.join("\n")}`).toBeDefined();
      return found!;
    };
    const migrations = migrationNames(DEFAULT_MIGRATIONS_DIR).length;
    const steps = [
      at(/^Starting Rapport…$/),
      at(/^ {2}creating the embedded database in .*pglite \(first start: up to a minute\)…$/),
      at(new RegExp(`^ {2}applying ${migrations} migrations…$`)),
      at(/^ {2}starting the web server…$/),
      at(/^Ready in \d+\.\d s\.$/),
    ];
    const order = steps.map((step) => first.lines.indexOf(step));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // printed as each step begins, not all at the end: creating the database takes seconds by itself
    expect(steps[2]!.at - steps[1]!.at).toBeGreaterThan(1_000);
  });

  it("logs in readable lines when piped, not JSON", () => {
    const logLines = first.lines.filter((l) => /^\[\d\d:\d\d:\d\d\] (INFO|WARN|DEBUG):/.test(l.text));
    expect(logLines.map((l) => l.text)).toContainEqual(expect.stringMatching(/INFO: campaigns loaded \{/));
    for (const { text } of first.lines) expect(text.startsWith("{"), text).toBe(false);
  });

  it("prints one host name, and which channels are live and which only write to the outbox", () => {
    const lines = banner(first).map((l) => l.text);
    const hosts = new Set(lines.flatMap((t) => [...t.matchAll(/https?:\/\/([^/:\s]+)/g)].map((m) => m[1])));
    expect([...hosts]).toEqual(["localhost"]);
    expect(lines[0]).toBe(`Rapport is running at http://localhost:${port}`);
    expect(lines).toContain("  live       : email, webchat");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}outbox only: telegram, discord, x, whatsapp, sms \(no credentials: written to .*outbox/,
      ),
    );
  });

  it("sends / to the console", async () => {
    const response = await fetch(`http://localhost:${port}/`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/console");
  });

  it("logs a campaign clock tick that planned nothing at debug, not info", async () => {
    // win-back's audience is empty on a fresh database: every tick plans nothing
    await line(first, /DEBUG: campaign fanned out .*"audience":0/);
    expect(first.lines.filter((l) => /INFO: campaign fanned out/.test(l.text))).toEqual([]);
  });

  it("starts again without creating or migrating anything, logging JSON with LOG_FORMAT=json", async () => {
    await first.stop();
    const again = start({ LOG_FORMAT: "json", LOG_LEVEL: "info" });
    try {
      await line(again, /^Press Ctrl\+C to stop\.$/, 120_000);
      const texts = again.lines.map((l) => l.text);
      expect(texts).toContainEqual(expect.stringMatching(/^ {2}opening the embedded database in /));
      expect(texts.filter((t) => /creating the embedded|migrations…/.test(t))).toEqual([]);
      const logs = texts.filter((t) => t.startsWith("{")).map((t) => JSON.parse(t) as { msg: string });
      expect(logs.map((l) => l.msg)).toContain("campaigns loaded");
      expect(texts.filter((t) => /^\[\d\d:\d\d:\d\d\] /.test(t))).toEqual([]);
    } finally {
      await again.stop();
    }
  }, 130_000);
});
