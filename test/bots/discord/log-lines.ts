import { Writable } from "node:stream";
import pino from "pino";
import type { Logger } from "../../../lib/logger.ts";

/** A debug-level logger whose lines a test can read back as objects. */
export function recordingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "debug" }, stream), lines };
}
