import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

const BIN = path.resolve("cli/bin.js");

/** What a finished `rapport …` process printed, and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node cli/bin.js …` as a real process, as a user types `npx rapport …`: exactly `env` (plus PATH and
 * HOME), in `cwd`, with `input` written to its stdin. Resolves when it exits, whatever its code.
 */
export function runRapport(
  args: string[],
  options: { env: Record<string, string>; cwd: string; input?: string; timeoutMs?: number },
): Promise<CliRun> {
  const { PATH = "", HOME = "" } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { PATH, HOME, ...options.env },
      timeout: options.timeoutMs ?? 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** A TCP port nothing listens on now, for a server the test starts as its own process. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}
