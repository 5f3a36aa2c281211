import { stripVTControlCharacters } from "node:util";

/** Where a command writes: a stream as `process.stdout` is one, or a test's buffer. */
export interface Terminal {
  write(text: string): unknown;
  /** True on an interactive terminal: progress bars redraw in place, colours are on. */
  readonly isTTY?: boolean;
  /** The terminal's width in characters. */
  readonly columns?: number;
}

/** The colours the CLI uses; each is the identity when colours are off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

/**
 * A command's two outputs: results on stdout (pipe them, diff them), and problems and progress on stderr,
 * as git and curl do, so a progress bar never ends up in a file.
 */
export interface Output {
  readonly stdout: Terminal;
  readonly stderr: Terminal;
  /** Styling of what goes to stdout. */
  readonly style: Style;
  /** Styling of what goes to stderr. */
  readonly errorStyle: Style;
}

const CODES: Record<keyof Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
};

/** Styling with ANSI colours, or none. */
export function createStyle(enabled: boolean): Style {
  const entries = Object.entries(CODES).map(([name, [on, off]]) => [
    name,
    enabled ? (text: string) => `\x1b[${on}m${text}\x1b[${off}m` : (text: string) => text,
  ]);
  return Object.fromEntries(entries) as Style;
}

/** Colours only on a terminal, never when NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function colorEnabled(stream: Terminal, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  return Boolean(stream.isTTY) && env.TERM !== "dumb";
}

/** The process's own stdout and stderr. */
export function processOutput(): Output {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    style: createStyle(colorEnabled(process.stdout)),
    errorStyle: createStyle(colorEnabled(process.stderr)),
  };
}

/** How many columns a text takes on screen: its characters without colour codes. */
export function visibleWidth(text: string): number {
  return [...stripVTControlCharacters(text)].length;
}
