import { type Command, Option } from "commander";
import type { Actor } from "../console/index.ts";
import { LOCALES, type Locale } from "../lib/channels.ts";
import { systemClock } from "../lib/clock.ts";
import type { Config } from "../lib/config.ts";
import type { Db, StaffRole } from "../lib/db/index.ts";
import { exitWith, loadEnvironment } from "./env.ts";
import { formatMinute } from "./format.ts";

// The console and the database load only when a command runs, so `rapport --help` stays quick.
const loadConsole = () => import("../console/index.ts");

const ROLES = ["admin", "agent", "marketer"] as const satisfies readonly StaffRole[];
const SYSTEM: Actor = { type: "system" };

/** `rapport staff add|list|passwd|disable`: the console's accounts, from the command line. */
export function registerStaffCommand(program: Command): void {
  const staff = program
    .command("staff")
    .description("staff accounts of the console (/console): add, list, passwd, disable");

  staff
    .command("add")
    .description("create a staff account (asks for the password twice, hidden)")
    .argument("<email>", "the address they sign in with")
    .addOption(new Option("--role <role>", "admin, agent or marketer").choices(ROLES).makeOptionMandatory())
    .option("--name <name>", "their name, shown in the console")
    .addOption(
      new Option("--locale <locale>", "the console's language for them").choices(LOCALES).default("en"),
    )
    .option("--password-stdin", "read the password from standard input instead of asking")
    .addHelpText(
      "after",
      "\nExample: npx rapport staff add you@example.com --role admin --name 'Ada Lovelace'",
    )
    .action(
      async (
        email: string,
        opts: { role: StaffRole; name?: string; locale: Locale; passwordStdin?: boolean },
      ) => {
        const password = await readNewPassword(opts.passwordStdin);
        await withDb("staff add", async (db, config) => {
          const { createStaffUser } = await loadConsole();
          const result = await createStaffUser(
            { db, clock: systemClock },
            { email, role: opts.role, name: opts.name, locale: opts.locale, password },
            SYSTEM,
          );
          if (result.kind === "exists")
            exitWith(
              `rapport staff add: ${result.email} already has an account (new password: rapport staff passwd ${result.email})`,
            );
          if (result.kind === "invalid") exitWith(`rapport staff add: ${result.field}: ${result.message}`);
          if (result.kind === "bad_password") exitWith(await passwordRefusal(result.reason));
          process.stdout.write(
            `Added ${result.user.role} ${result.user.email}. Sign in at ${config.PUBLIC_URL}/console\n`,
          );
        });
      },
    );

  staff
    .command("list")
    .description("list the staff accounts")
    .action(async () => {
      await withDb("staff list", async (db) => {
        const users = await (await loadConsole()).listStaffUsers(db);
        if (users.length === 0) {
          process.stdout.write("No staff accounts yet: rapport staff add you@example.com --role admin\n");
          return;
        }
        const rows = users.map((u) => [
          u.email,
          u.name ?? "",
          u.role,
          u.locale,
          u.lastLoginAt ? formatMinute(u.lastLoginAt) : "never",
          u.disabledAt ? "disabled" : "active",
        ]);
        const table = [["email", "name", "role", "language", "last sign-in (UTC)", "status"], ...rows];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table)
          process.stdout.write(
            `${row
              .map((cell, i) => cell.padEnd(widths[i]!))
              .join("  ")
              .trimEnd()}\n`,
          );
      });
    });

  staff
    .command("passwd")
    .description("set a new password (signs the account out everywhere)")
    .argument("<email>")
    .option("--password-stdin", "read the password from standard input instead of asking")
    .action(async (email: string, opts: { passwordStdin?: boolean }) => {
      const password = await readNewPassword(opts.passwordStdin);
      await withDb("staff passwd", async (db) => {
        const { setStaffPassword } = await loadConsole();
        const result = await setStaffPassword({ db, clock: systemClock }, email, password, SYSTEM);
        if (result.kind === "not_found")
          exitWith(`rapport staff passwd: no account for ${email} (see rapport staff list)`);
        if (result.kind === "bad_password") exitWith(await passwordRefusal(result.reason));
        process.stdout.write(`New password set for ${result.user.email}; their sessions have ended.\n`);
      });
    });

  staff
    .command("disable")
    .description("stop an account from signing in (ends its sessions; its history stays)")
    .argument("<email>")
    .action(async (email: string) => {
      await withDb("staff disable", async (db) => {
        const { disableStaffUser } = await loadConsole();
        const result = await disableStaffUser({ db, clock: systemClock }, email, SYSTEM);
        if (result.kind !== "done")
          exitWith(`rapport staff disable: no account for ${email} (see rapport staff list)`);
        process.stdout.write(`Disabled ${result.user.email}: they can no longer sign in.\n`);
      });
    });
}

/** Opens the database (migrating the embedded one, which `rapport start` may not have created yet). */
async function withDb(command: string, run: (db: Db, config: Config) => Promise<void>): Promise<void> {
  const { config, log } = loadEnvironment();
  const { createDb, DataDirInUseError, migrate, Prisma } = await import("../lib/db/index.ts");
  let handle: Awaited<ReturnType<typeof createDb>> | undefined;
  try {
    handle = await createDb({ url: config.DATABASE_URL, dataDir: config.dataDir, log });
    if (handle.kind === "pglite") await migrate(handle, { log });
    await run(handle.db, config);
  } catch (error) {
    if (error instanceof DataDirInUseError) exitWith(`rapport ${command}: ${error.message}`);
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2021")
      exitWith(`rapport ${command}: the database has no staff tables yet: run \`rapport db migrate\` first`);
    throw error;
  } finally {
    await handle?.close();
  }
}

async function passwordRefusal(reason: "too_short" | "too_long"): Promise<string> {
  const { PASSWORD_MIN_LENGTH } = await loadConsole();
  return reason === "too_short"
    ? `rapport staff: the password needs at least ${PASSWORD_MIN_LENGTH} characters`
    : "rapport staff: the password is too long";
}

/** The new password: the first line of stdin with --password-stdin, else asked twice on the terminal. */
async function readNewPassword(fromStdin: boolean | undefined): Promise<string> {
  let password: string;
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    password = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  } else {
    if (!process.stdin.isTTY)
      exitWith("rapport staff: no terminal to ask for the password on: pipe it in with --password-stdin");
    password = await askHidden("Password: ");
    if (password !== (await askHidden("Password again: "))) exitWith("rapport staff: the passwords differ");
  }
  // checked before the database opens, and again by the console's own functions
  const problem = (await loadConsole()).passwordProblem(password);
  if (problem) exitWith(await passwordRefusal(problem));
  return password;
}

/** Reads a line from the terminal without echoing it. Ctrl+C stops the command. */
function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  input.setEncoding("utf8");
  return new Promise((resolve) => {
    let typed = "";
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") {
          input.off("data", onData);
          input.setRawMode(false);
          input.pause();
          process.stderr.write("\n");
          resolve(typed);
          return;
        }
        if (char === "\u0003") {
          input.setRawMode(false);
          process.stderr.write("\n");
          process.exit(130);
        }
        if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("");
        else if (char >= " ") typed += char;
      }
    };
    input.on("data", onData);
  });
}
