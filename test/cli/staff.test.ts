import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, postLogin, startConsole } from "../console/support.ts";
import { useTestDatabase } from "../support/db.ts";
import { type CliRun, runRapport } from "../support/process.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "rapport-staff-"));
const database = useTestDatabase();
let http: FastifyInstance;

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
});
afterAll(async () => {
  await http.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Runs `rapport …` against the test database, writing `input` to its stdin. */
function rapport(args: string[], input = ""): Promise<CliRun> {
  return runRapport(args, {
    cwd: workDir,
    input,
    env: { DATABASE_URL: database.url, LOG_LEVEL: "warn", PUBLIC_URL: "https://crm.example.com" },
  });
}

describe("rapport staff", { timeout: 120_000 }, () => {
  it("add --password-stdin creates an account that can sign in to the console", async () => {
    const added = await rapport(
      [
        "staff",
        "add",
        "Ada@Example.com",
        "--role",
        "admin",
        "--name",
        "Ada Lovelace",
        "--locale",
        "pl",
        "--password-stdin",
      ],
      `${PASSWORD}\n`,
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(added.stdout).toBe("Added admin ada@example.com. Sign in at https://crm.example.com/console\n");
    const user = await database.db.staffUser.findUniqueOrThrow({ where: { email: "ada@example.com" } });
    expect(user).toMatchObject({ name: "Ada Lovelace", role: "admin", locale: "pl" });
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "staff.create", targetId: user.id },
    });
    expect(audit).toMatchObject({ actorType: "system", staffUserId: null });
    const login = await postLogin(http, "ada@example.com", PASSWORD);
    expect(login.statusCode).toBe(303);
  });

  it("refuses a short password, a taken address and a role that does not exist", async () => {
    const short = await rapport(
      ["staff", "add", "bob@example.com", "--role", "agent", "--password-stdin"],
      "short\n",
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("the password needs at least 10 characters");
    const taken = await rapport(
      ["staff", "add", "ada@example.com", "--role", "agent", "--password-stdin"],
      `${PASSWORD}\n`,
    );
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain("ada@example.com already has an account");
    const role = await rapport(
      ["staff", "add", "bob@example.com", "--role", "boss", "--password-stdin"],
      `${PASSWORD}\n`,
    );
    expect(role.code).not.toBe(0);
    expect(role.stderr).toContain("Allowed choices are admin, agent, marketer");
    expect(await database.db.staffUser.count({ where: { email: "bob@example.com" } })).toBe(0);
  });

  it("will not prompt without a terminal", async () => {
    const result = await rapport(["staff", "add", "carol@example.com", "--role", "agent"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--password-stdin");
  });

  it("list, passwd and disable manage the account, each audited", async () => {
    const list = await rapport(["staff", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^email\s+name\s+role\s+language\s+last sign-in \(UTC\)\s+status$/m);
    expect(list.stdout).toMatch(
      /^ada@example\.com\s+Ada Lovelace\s+admin\s+pl\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+active$/m,
    );

    const passwd = await rapport(
      ["staff", "passwd", "ada@example.com", "--password-stdin"],
      "an entirely new secret\n",
    );
    expect(passwd.code).toBe(0);
    expect((await postLogin(http, "ada@example.com", PASSWORD)).statusCode).toBe(401);
    expect((await postLogin(http, "ada@example.com", "an entirely new secret")).statusCode).toBe(303);

    const disable = await rapport(["staff", "disable", "ada@example.com"]);
    expect(disable.code).toBe(0);
    expect(disable.stdout).toContain("Disabled ada@example.com");
    expect((await postLogin(http, "ada@example.com", "an entirely new secret")).statusCode).toBe(401);
    const actions = await database.db.auditLog.findMany({
      where: { actorType: "system" },
      select: { action: true },
    });
    expect(actions.map((a) => a.action).sort()).toEqual(["staff.create", "staff.disable", "staff.password"]);

    const missing = await rapport(["staff", "disable", "nobody@example.com"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no account for nobody@example.com");
  });
});
