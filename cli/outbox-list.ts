import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { decodeHeader } from "../bots/email/index.ts";

/** One message a channel without credentials wrote to the outbox. */
export interface OutboxEntry {
  at: Date;
  channel: string;
  to: string;
  /** An email's subject, a chat message's first line. */
  summary: string;
  file: string;
}

/**
 * The messages in `<outboxDir>/<channel>/`, newest first (by the time the file was written), at most `limit`.
 * Only the listed files are read.
 */
export function listOutbox(outboxDir: string, options: { channel?: string; limit: number }): OutboxEntry[] {
  const channels = options.channel ? [options.channel] : subfolders(outboxDir);
  const files = channels.flatMap((channel) =>
    filesIn(path.join(outboxDir, channel)).map((file) => ({ channel, file, at: statSync(file).mtime })),
  );
  files.sort((a, b) => b.at.getTime() - a.at.getTime() || b.file.localeCompare(a.file));
  return files.slice(0, options.limit).map((entry) => ({ ...entry, ...readEntry(entry.file) }));
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** The written messages of a channel's folder: `.eml` and `.json`, not the `.tmp` of one being written. */
function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(".eml") || name.endsWith(".json"))
      .map((name) => path.join(dir, name));
  } catch {
    return [];
  }
}

function readEntry(file: string): { to: string; summary: string } {
  const text = readFileSync(file, "utf8");
  if (file.endsWith(".eml")) {
    const head = text.split("\r\n\r\n")[0] ?? "";
    const header = (name: string) => new RegExp(`^${name}: (.*)$`, "m").exec(head)?.[1]?.trim() ?? "";
    return { to: decodeHeader(header("To")), summary: decodeHeader(header("Subject")) };
  }
  try {
    const message = JSON.parse(text) as { to?: unknown; text?: unknown };
    const firstLine =
      String(message.text ?? "")
        .split("\n")
        .find((line) => line.trim() !== "") ?? "";
    return { to: String(message.to ?? ""), summary: firstLine.trim() };
  } catch {
    return { to: "?", summary: "(not readable as JSON)" };
  }
}
