import { formatCount, formatDuration } from "./format.ts";
import type { Terminal } from "./output.ts";

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where to draw: a terminal redraws one line in place, anything else gets a line now and then. */
  stream: Terminal;
  /** The time in ms. Defaults to Date.now. */
  now?: () => number;
  /** Keep a phase without a total alive with its running time. Defaults to true. */
  ticker?: boolean;
}

/** Progress of a long command, told in phases. */
export interface Progress {
  /** Starts a phase: with a total, a bar with rate and ETA; without one, how long it has been running. */
  start(label: string, total?: number): void;
  /** The current phase has done `done` of its total; `detail` says what it is on (a file name). */
  update(done: number, detail?: string): void;
  /** Ends the current phase; with `summary`, leaves a line saying how it went and how long it took. */
  finish(summary?: string): void;
}

/** Redraws at most this often on a terminal, in ms. */
const REDRAW_MS = 100;
/** Off a terminal: a line every tenth of the total, or after this long without one, in ms. */
const QUIET_MS = 5_000;

/**
 * A progress display without dependencies. On a terminal: one line redrawn with `\r`, cut to the
 * terminal's width: `label [#####-----] 45% 450/1,000 120/s ETA 4.6 s`. Elsewhere (CI logs, pipes): a
 * line at the start, at each further 10 % or after 5 s without news, and at the end.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { stream } = options;
  const now = options.now ?? Date.now;
  const tty = Boolean(stream.isTTY);
  let label = "";
  let total: number | undefined;
  let done = 0;
  let detail = "";
  let started = 0;
  let drawn = 0;
  let printed = 0;
  let decile = 0;
  let active = false;
  let timer: ReturnType<typeof setInterval> | undefined;

  /** Elapsed time, or percent, count, rate and ETA. */
  const status = (): string => {
    const elapsed = now() - started;
    if (total === undefined) return formatDuration(elapsed);
    const parts = [`${Math.floor(ratio() * 100)}%`, `${formatCount(done)}/${formatCount(total)}`];
    if (done > 0 && elapsed >= 500) {
      const rate = done / (elapsed / 1_000);
      parts.push(`${formatCount(Math.round(rate))}/s`);
      if (done < total) parts.push(`ETA ${formatDuration(((total - done) / rate) * 1_000)}`);
    }
    return parts.join(" ");
  };

  const ratio = () => (total ? Math.min(1, done / total) : 1);

  const line = () => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    if (total === undefined) return `${label}… ${status()}`.slice(0, width);
    const tail = `${status()}${detail ? ` ${detail}` : ""}`;
    const size = Math.min(30, width - label.length - tail.length - 4);
    const bar = size >= 5 ? ` [${"#".repeat(Math.round(ratio() * size)).padEnd(size, "-")}]` : "";
    return `${label}${bar} ${tail}`.slice(0, width);
  };

  const draw = () => {
    drawn = now();
    stream.write(`\r${line()}\x1b[K`);
  };

  const print = (text: string) => {
    printed = now();
    stream.write(`${text}\n`);
  };

  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const end = () => {
    stopTimer();
    if (active && tty) stream.write("\r\x1b[K");
    active = false;
  };

  return {
    start(name, of) {
      end();
      label = name;
      total = of;
      done = 0;
      detail = "";
      decile = 0;
      started = now();
      active = true;
      if (tty) draw();
      else print(of === undefined ? `${label}…` : `${label}: ${formatCount(of)} to do`);
      if (options.ticker !== false && (tty || of === undefined)) {
        timer = setInterval(
          () => {
            if (tty) draw();
            else if (now() - printed >= QUIET_MS) print(`${label}… still running (${status()})`);
          },
          tty ? 250 : 1_000,
        );
        timer.unref();
      }
    },
    update(value, what) {
      if (!active) return;
      done = value;
      detail = what ?? "";
      if (tty) {
        if (now() - drawn >= REDRAW_MS || (total !== undefined && done >= total)) draw();
        return;
      }
      if (total === undefined) return;
      const reached = total > 0 ? Math.floor((Math.min(done, total) / total) * 10) : 10;
      if (reached > decile || now() - printed >= QUIET_MS) {
        decile = Math.max(decile, reached);
        print(`${label}: ${status()}`);
      }
    },
    finish(summary) {
      const took = formatDuration(now() - started);
      const was = label;
      const wasActive = active;
      end();
      if (summary !== undefined && wasActive) {
        if (tty) stream.write(`${was}: ${summary} (${took})\n`);
        else print(`${was}: ${summary} (${took})`);
      }
    },
  };
}
