import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Another live process holds the PGlite data directory. PGlite itself does not lock its directory, and two
 * processes writing it corrupt it, so Rapport refuses to open it twice.
 */
export class DataDirInUseError extends Error {
  override name = "DataDirInUseError";
  constructor(
    /** The PGlite data directory. */
    readonly dataDir: string,
    /** The process holding it. */
    readonly pid: number,
    /** The lock file, for the rare case where a recycled pid keeps a dead lock alive. */
    readonly lockFile: string,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${pid}` +
        `${pid === process.pid ? " (this process)" : ""}: stop it, or set DATABASE_URL to use PostgreSQL ` +
        `for several processes. If no such process is running Rapport, delete ${lockFile}.`,
    );
  }
}

/** A held lock. */
export interface DirLock {
  /** The lock file's path. */
  readonly file: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

/** The lock file guarding a PGlite directory: `<dir>.lock`, so `<dataDir>/pglite` is guarded by `<dataDir>/pglite.lock`. */
export function lockFileFor(pgliteDir: string): string {
  return `${path.resolve(pgliteDir)}.lock`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user; it is alive all the same.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // vanished between the failed create and the read: the caller retries
  }
}

/**
 * Takes the lock of a PGlite directory by creating `<dir>.lock` with this process's pid. A lock left by a
 * dead process (a crash, kill -9) is taken over; one held by a live process throws {@link DataDirInUseError}.
 */
export function acquireDirLock(pgliteDir: string): DirLock {
  const file = lockFileFor(pgliteDir);
  mkdirSync(path.dirname(file), { recursive: true });
  // Three rounds are enough: each failed round means another process raced us for a stale lock.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // "wx" fails if the file exists: creation is the atomic test-and-set.
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      return {
        file,
        release() {
          if (readPid(file) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readPid(file);
    if (holder !== undefined && isAlive(holder))
      throw new DataDirInUseError(path.resolve(pgliteDir), holder, file);
    // Stale (dead pid or garbage). Re-read just before removing, to leave a lock a racing process just took.
    if (readPid(file) === holder) rmSync(file, { force: true });
  }
  const holder = readPid(file) ?? 0;
  throw new DataDirInUseError(path.resolve(pgliteDir), holder, file);
}
