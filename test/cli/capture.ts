import { tmpdir } from "node:os";
import type { CommandContext } from "../../cli/campaigns-context.ts";
import { createStyle, type Output, type Terminal } from "../../cli/output.ts";
import { type Clock, manualClock } from "../../lib/clock.ts";
import { loadConfig } from "../../lib/config.ts";
import { silentLogger } from "../../lib/logger.ts";

/** The link secret of in-process commands. */
export const TEST_LINK_SECRET = "cli-test-link-secret-0123456789";

/** A terminal that keeps what is written to it. */
export interface Recorded extends Terminal {
  text: string;
}

/** A terminal (or not) keeping what it is given; 80 columns. */
export function recorder(isTTY = false, columns = 80): Recorded {
  const terminal = {
    text: "",
    isTTY,
    columns,
    write(chunk: string) {
      terminal.text += chunk;
      return true;
    },
  };
  return terminal;
}

/** Outputs for a command run inside the test: no colours, everything kept. */
export function captureOutput(): Output & { stdout: Recorded; stderr: Recorded } {
  return {
    stdout: recorder(),
    stderr: recorder(),
    style: createStyle(false),
    errorStyle: createStyle(false),
  };
}

/** A command context as `rapport campaigns` builds it, from environment variables, with captured output. */
export function commandContext(
  env: Record<string, string> = {},
  clock: Clock = manualClock(Date.UTC(2026, 10, 23, 10)),
): CommandContext & { out: ReturnType<typeof captureOutput> } {
  return {
    // a configured link secret: nothing is generated into the data dir
    config: loadConfig({
      RAPPORT_DATA_DIR: tmpdir(),
      RAPPORT_LINK_SECRET: TEST_LINK_SECRET,
      LOG_LEVEL: "silent",
      ...env,
    }),
    log: silentLogger,
    out: captureOutput(),
    clock,
  };
}
