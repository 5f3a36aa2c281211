import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createRedis } from "../../lib/redis.ts";
import { readEml } from "../support/eml.ts";
import { deletePrefix, randomPrefix, TEST_REDIS_URL } from "../support/redis.ts";

const run = promisify(execFile);
const BIN = path.resolve("cli/bin.js");
const workDir = mkdtempSync(path.join(tmpdir(), "rapport-cli-"));
const prefix = randomPrefix();

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  const redis = createRedis(TEST_REDIS_URL);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Runs `rapport …` in a scratch directory with a clean environment (no DATABASE_URL: embedded PGlite). */
async function rapport(args: string[], env: Record<string, string> = {}) {
  const { PATH, HOME } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: workDir,
      env: { PATH, HOME, REDIS_URL: TEST_REDIS_URL, RAPPORT_QUEUE_PREFIX: prefix, LOG_LEVEL: "warn", ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("rapport", () => {
  it("describes every command in --help", async () => {
    const { code, stdout } = await rapport(["--help"]);
    expect(code).toBe(0);
    for (const command of ["start", "worker", "db", "campaigns", "demo"])
      expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    for (const sub of [["start"], ["worker"], ["db", "migrate"], ["demo"]]) {
      const help = await rapport([...sub, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: rapport ${sub.join(" ")}`);
    }
    // five processes, each loading the CLI: about 10 s on an idle 2-core machine, 30 s beside another test file
  }, 90_000);

  it("stops with one line naming a misconfigured variable", async () => {
    const { code, stdout, stderr } = await rapport(["start"], { PORT: "eighty" });
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.trim()).toBe('rapport: PORT: expected a port number, e.g. 3000 (got "eighty")');
  });

  it("refuses to run workers on the embedded database, saying why", async () => {
    const { code, stderr } = await rapport(["worker"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/DATABASE_URL must point to PostgreSQL/);
  });

  it("demo: three thank-you emails land in the outbox in English, Indonesian and Polish", async () => {
    const { code, stdout, stderr } = await rapport(["demo"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const dir = path.join(workDir, ".data", "outbox", "email");
    expect(stdout).toContain(path.join(".data", "outbox", "email"));
    const emails = readdirSync(dir).map((f) => readEml(readFileSync(path.join(dir, f), "utf8")));
    expect(emails).toHaveLength(3);
    const to = (address: string) => emails.find((e) => e.to === address)!;
    expect(to("emma.walker@example.com").subject).toMatch(/thank/i);
    expect(to("emma.walker@example.com").body).toContain("Emma Walker");
    expect(to("emma.walker@example.com").body).toContain("$38.99");
    expect(to("siti.rahayu@example.com").subject).toMatch(/terima kasih/i);
    expect(to("siti.rahayu@example.com").body).toContain("Rp\u00a0530.000");
    expect(to("jan.kowalski@example.com").subject).toMatch(/dziękujemy/i);
    expect(to("jan.kowalski@example.com").body).toContain("199,95\u00a0zł");
    // the embedded database holds the run, and the migration runner sees it up to date
    const status = await rapport(["db", "status"]);
    expect(status.stdout).toContain("Up to date.");
    expect(status.code).toBe(0);
    // a fresh embedded database, every migration applied, the app started, three emails: 23 s on an idle
    // 2-core machine
  }, 90_000);
});
