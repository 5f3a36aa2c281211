import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboxChannel } from "../../bots/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { silentLogger } from "../../lib/logger.ts";
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
  }, 90_000); // a process loading the app: 6 s idle, 30 s under heavy load
});

describe("rapport outbox", () => {
  it("lists what was sent, newest first, per channel, with --channel and --limit", async () => {
    const dataDir = path.join(cwd, "outbox-data");
    const outbox = (channel: "email" | "telegram") =>
      createOutboxChannel(channel, {
        dir: path.join(dataDir, "outbox"),
        from: "Toko <toko@example.com>",
        clock: systemClock,
        log: silentLogger,
      });
    const subjects = ["Thank you, Emma", "Terima kasih, Siti", "Dziękujemy, Jan"];
    const written: string[] = [];
    for (const [i, subject] of subjects.entries()) {
      const deliveryId = `00000000-0000-4000-8000-00000000000${i}`;
      const { providerId } = await outbox("email").send(
        { deliveryId, to: `c${i}@example.com`, subject, text: subject },
        `k${i}`,
      );
      written.push(providerId);
    }
    const chat = await outbox("telegram").send(
      { deliveryId: "00000000-0000-4000-8000-000000000009", to: "4242", text: "\nHalo Siti!\nKode: 1" },
      "t",
    );
    // written a minute apart: the emails in order, the chat message last
    [...written, chat.providerId].forEach((file, i) => {
      const at = new Date(Date.UTC(2026, 11, 7, 10, i));
      utimesSync(file, at, at);
    });

    const all = await rapport(["outbox"], { RAPPORT_DATA_DIR: dataDir });
    expect(all.code).toBe(0);
    const rows = all.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^ {2}time +channel +to +subject \/ first line +file$/);
    expect(rows.slice(1).map((r) => r.trim().replace(/ {2,}/g, " | "))).toEqual([
      `2026-12-07 10:03 | telegram | 4242 | Halo Siti! | ${path.relative(cwd, chat.providerId)}`,
      `2026-12-07 10:02 | email | c2@example.com | Dziękujemy, Jan | ${path.relative(cwd, written[2]!)}`,
      `2026-12-07 10:01 | email | c1@example.com | Terima kasih, Siti | ${path.relative(cwd, written[1]!)}`,
      `2026-12-07 10:00 | email | c0@example.com | Thank you, Emma | ${path.relative(cwd, written[0]!)}`,
    ]);

    const limited = await rapport(["outbox", "--channel", "email", "--limit", "1"], {
      RAPPORT_DATA_DIR: dataDir,
    });
    expect(limited.stdout.trimEnd().split("\n").slice(1)).toEqual([
      expect.stringMatching(/^ {2}2026-12-07 10:02 +email +c2@example\.com +Dziękujemy, Jan /),
    ]);
  }, 90_000);
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
  }, 180_000); // three processes loading the app: 48 s beside other test files on 2 cores, 67 s under heavy load
});
