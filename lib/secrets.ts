import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomToken } from "./ids.ts";

/**
 * A secret that is configured, or else generated once and kept in `<dataDir>/secrets/<name>` (mode 0600), so a
 * fresh install runs with no setup and keeps the same secret across restarts.
 */
export function configuredOrGeneratedSecret(
  configured: string | undefined,
  dataDir: string,
  name: string,
): { value: string; file?: string } {
  if (configured) return { value: configured };
  const file = path.join(dataDir, "secrets", name);
  try {
    return { value: readFileSync(file, "utf8").trim(), file };
  } catch {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const value = randomToken(32);
    try {
      writeFileSync(file, `${value}\n`, { mode: 0o600, flag: "wx" });
      return { value, file };
    } catch {
      // another process created it first: use theirs
      return { value: readFileSync(file, "utf8").trim(), file };
    }
  }
}
