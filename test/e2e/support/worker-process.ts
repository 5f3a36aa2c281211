import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

const BIN = path.resolve("cli/bin.js");

/** One pino line of a worker, parsed (a line that is not JSON is kept as `{ msg }`). */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A `rapport worker` (or `rapport start`) running as a real child process, as an operator would start it. */
export interface WorkerProcess {
  readonly name: string;
  readonly pid: number;
  /** Its stdout, one parsed line each, in order. */
  readonly logs: LogLine[];
  /** Whether it is still running. */
  readonly alive: boolean;
  /** When it printed that it runs (`Date.now()` in this process), once it has. */
  readonly readyAt: number | undefined;
  /** Throws, with the end of its stderr, if it has exited. For probes that wait on it. */
  assertAlive(): void;
  /** `kill -9`, then waits until the operating system has reaped it. Harmless when already gone. */
  kill9(): Promise<void>;
  /** SIGTERM (Ctrl+C's graceful stop), then waits until it has exited. Harmless when already gone. */
  stop(): Promise<void>;
}

/** The line each command prints once it runs. */
const READY: Record<"worker" | "start", string> = {
  worker: "Rapport worker running",
  start: "Rapport is running at",
};

/**
 * Starts `node cli/bin.js worker` (or `start`) with exactly `env` (plus PATH and HOME) in `cwd`. Its output is
 * read as it comes, so a chatty log level never blocks it on a full pipe.
 */
export function startWorkerProcess(
  name: string,
  env: Record<string, string>,
  cwd: string,
  command: "worker" | "start" = "worker",
): WorkerProcess {
  const { PATH = "", HOME = "" } = process.env;
  const child: ChildProcess = spawn(process.execPath, [BIN, command], {
    cwd,
    env: { PATH, HOME, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  let readyAt: number | undefined;
  let exit: string | undefined;
  // if the test process itself ends first (a timeout, a crash), it takes its workers with it
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = signal ?? `code ${code}`;
      process.removeListener("exit", killOnExit);
      resolve();
    }),
  );
  let pending = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.startsWith(READY[command])) readyAt ??= Date.now();
      if (line.trim() === "") continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  return {
    name,
    pid: child.pid ?? -1,
    logs,
    get alive() {
      return exit === undefined;
    },
    get readyAt() {
      return readyAt;
    },
    assertAlive() {
      if (exit === undefined) return;
      const errors = logs.filter((l) => Number(l.level) >= 50).map((l) => JSON.stringify(l));
      throw new Error(
        `${name} (pid ${child.pid}) exited (${exit}):\n${[...errors, stderr.join("")].join("\n").slice(-2_000)}`,
      );
    },
    async kill9() {
      if (exit === undefined) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (exit === undefined) child.kill("SIGTERM");
      await exited;
    },
  };
}
