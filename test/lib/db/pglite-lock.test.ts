import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireDirLock, DataDirInUseError, lockFileFor } from "../../../lib/db/index.ts";

describe("acquireDirLock", () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "rapport-lock-"));
    dir = path.join(root, "pglite");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("writes this pid next to the directory and removes it on release", () => {
    const lock = acquireDirLock(dir);
    expect(lock.file).toBe(path.join(root, "pglite.lock"));
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
    lock.release();
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it("names the live process holding the directory", () => {
    writeFileSync(lockFileFor(dir), `${process.ppid}\n`);
    expect(() => acquireDirLock(dir)).toThrow(DataDirInUseError);
    expect(() => acquireDirLock(dir)).toThrow(`in use by process ${process.ppid}`);
    expect(readFileSync(lockFileFor(dir), "utf8").trim()).toBe(String(process.ppid));
  });

  it("takes over a lock whose process is gone, or whose content is garbage", () => {
    for (const content of ["2147483646\n", "not a pid"]) {
      writeFileSync(lockFileFor(dir), content);
      const lock = acquireDirLock(dir);
      expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.pid));
      lock.release();
    }
  });

  it("leaves a lock another process took over in place on release", () => {
    const lock = acquireDirLock(dir);
    writeFileSync(lock.file, `${process.ppid}\n`);
    lock.release();
    expect(readFileSync(lock.file, "utf8").trim()).toBe(String(process.ppid));
  });
});
