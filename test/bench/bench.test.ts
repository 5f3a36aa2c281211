import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const outDir = mkdtempSync(path.join(tmpdir(), "rapport-bench-"));
const out = path.join(outDir, "quick.json");

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Runs the bench as a user would, on the test suite's PostgreSQL server and Redis. */
function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    if (env.TEST_DATABASE_URL) env.DATABASE_URL = env.TEST_DATABASE_URL;
    else delete env.DATABASE_URL;
    if (env.TEST_REDIS_URL) env.REDIS_URL = env.TEST_REDIS_URL;
    const child = spawn("npx", ["tsx", "bench/run.ts", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("npm run bench -- --quick", () => {
  // a smoke check that the bench runs end to end and reports its ratios; the values are machine-dependent
  // and never asserted (performance is read from bench/results, not enforced by the test suite)
  it("runs end to end and writes the three ratios as finite positive numbers", async () => {
    const { code, output } = await runBench(["--quick", "--customers", "2000", "--out", out]);
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8")) as { ratios: Record<string, unknown> };
    for (const name of ["fanout", "enqueue", "deliver"]) {
      const ratio = report.ratios[name];
      expect(typeof ratio, `${name}: ${String(ratio)}`).toBe("number");
      expect(Number.isFinite(ratio as number) && (ratio as number) > 0, `${name}: ${String(ratio)}`).toBe(
        true,
      );
    }
  }, 120_000);
});
