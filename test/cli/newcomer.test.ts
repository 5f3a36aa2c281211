import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, TEST_WEBHOOK_SECRET, type TestApp } from "../support/app.ts";
import { useTestDatabase } from "../support/db.ts";
import { freePort, runRapport } from "../support/process.ts";
import { useTestRedis } from "../support/redis.ts";

// A newcomer's `npm start` holds the embedded database; `npx rapport demo` and the other commands beside it
// must work through the running server, or stop with one line saying what to do, never a stack trace.

const database = useTestDatabase();
const redis = useTestRedis();
const cwd = mkdtempSync(path.join(tmpdir(), "rapport-newcomer-"));
let app: TestApp;
let port: string;

beforeAll(async () => {
  // `npm start`: here on PostgreSQL (fast to start), its folder's embedded database held by a live process
  app = await startTestApp({ databaseUrl: database.url, redisUrl: redis.url, prefix: redis.prefix });
  port = new URL(app.url!).port;
  writeFileSync(path.join(app.dataDir, "pglite.lock"), `${process.pid}\n`);
});
afterAll(async () => {
  await app?.close();
  rmSync(cwd, { recursive: true, force: true });
});

/** `rapport …` as typed in the running Rapport's folder: same data dir, .env values, no DATABASE_URL. */
const rapport = (args: string[], env: Record<string, string> = {}) =>
  runRapport(args, {
    cwd,
    env: {
      RAPPORT_DATA_DIR: app.dataDir,
      RAPPORT_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      REDIS_URL: redis.url,
      RAPPORT_QUEUE_PREFIX: redis.prefix,
      PORT: port,
      LOG_LEVEL: "warn",
      ...env,
    },
    timeoutMs: 90_000,
  });

/** The error as stderr's last line (progress may come before it), no stack frame, exit code 1. */
function expectOneLine(run: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(run.stderr.trim().split("\n").pop()).toMatch(pattern);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.code).toBe(1);
}

describe("rapport demo beside a running Rapport", () => {
  it("posts its purchases to the running server and finds the thank-you emails in its outbox", async () => {
    const run = await rapport(["demo"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`using the Rapport running at http://127.0.0.1:${port}`);
    for (const address of ["emma.walker@example.com", "siti.rahayu@example.com", "jan.kowalski@example.com"])
      expect(run.stdout).toContain(`] ${address}`);
    expect(run.stdout).toMatch(/Terima kasih/i);
    expect(readdirSync(path.join(app.dataDir, "outbox", "email"))).toHaveLength(3);
    expect(
      await app.db.event.count({ where: { type: "purchase", externalId: { startsWith: "DEMO-" } } }),
    ).toBe(3);
  }, 90_000);

  it("says in one line that the database is held when no Rapport answers, and exits 1", async () => {
    const run = await rapport(["demo"], { PORT: String(await freePort()) });
    expectOneLine(
      run,
      new RegExp(
        `^rapport demo: the embedded database is in use by process ${process.pid}, but no Rapport answers`,
      ),
    );
  });
});

describe("rapport outbox", () => {
  it("lists what was sent, newest first, per channel, with --channel and --limit", async () => {
    const emailDir = path.join(app.dataDir, "outbox", "email");
    const emails = readdirSync(emailDir).sort();
    // written a minute apart, in the order of their names
    emails.forEach((name, i) => {
      const at = new Date(Date.UTC(2026, 11, 7, 10, i));
      utimesSync(path.join(emailDir, name), at, at);
    });
    const telegram = path.join(app.dataDir, "outbox", "telegram");
    mkdirSync(telegram, { recursive: true });
    writeFileSync(
      path.join(telegram, "t1.json"),
      JSON.stringify({ to: "4242", text: "\nHalo Siti!\nKode: 1" }),
    );
    const at = new Date(Date.UTC(2026, 11, 7, 11, 0));
    utimesSync(path.join(telegram, "t1.json"), at, at);

    const all = await rapport(["outbox"]);
    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^ {2}time +channel +to +subject \/ first line +file$/);
    expect(rows).toHaveLength(5);
    expect(rows[1]).toMatch(/^ {2}2026-12-07 11:00 +telegram +4242 +Halo Siti! +\S+t1\.json$/);
    // newest first: the emails in reverse order of their names
    expect(rows.slice(2).map((r) => /(\S+\.eml)$/.exec(r)?.[1]?.split("/").pop())).toEqual(
      [...emails].reverse(),
    );
    expect(all.stdout).toMatch(/siti\.rahayu@example\.com +Terima kasih/);

    const limited = await rapport(["outbox", "--channel", "email", "--limit", "2"]);
    const limitedRows = limited.stdout.trimEnd().split("\n").slice(1);
    expect(limitedRows).toHaveLength(2);
    expect(limitedRows.every((r) => / email /.test(r))).toBe(true);
    expect(limitedRows[0]).toContain("2026-12-07 10:02");
  });
});

describe("known conditions", () => {
  it("end in one line saying what to do: a port in use, PostgreSQL not answering, a missing folder", async () => {
    // three processes at once: each spends most of its time loading
    const [portInUse, noPostgres, noFolder] = await Promise.all([
      rapport(["start"], { DATABASE_URL: database.url }),
      freePort().then((free) =>
        rapport(["start"], { DATABASE_URL: `postgresql://postgres@127.0.0.1:${free}/x` }),
      ),
      rapport(["export", "customers", "--out", path.join(cwd, "no-such-folder", "c.csv")], {
        DATABASE_URL: database.url,
      }),
    ]);
    expectOneLine(
      portInUse!,
      new RegExp(`^rapport: port ${port} on 127\\.0\\.0\\.1 is already in use .*set PORT`),
    );
    expectOneLine(
      noPostgres!,
      /^rapport: cannot reach PostgreSQL at 127\.0\.0\.1:\d+: start it, or correct DATABASE_URL/,
    );
    expectOneLine(noFolder!, /^rapport export customers: no such file or folder: .*no-such-folder/);
  }, 90_000);
});
