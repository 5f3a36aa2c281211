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
  it("runs end to end and writes each line's ratios to its fair baseline and no-op ceiling as finite positive numbers", async () => {
    const { code, output } = await runBench(["--quick", "--customers", "2000", "--out", out]);
    expect(code, output).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8")) as {
      ratios: Record<string, unknown>;
      noopRatios: Record<string, unknown>;
      results: Array<{
        name: string;
        ours: { median: number };
        fair: { median: number };
        noop: { median: number };
      }>;
    };
    const positive = (value: unknown) => typeof value === "number" && Number.isFinite(value) && value > 0;
    for (const name of ["fanout", "enqueue", "deliver", "deliverEmail"]) {
      expect(positive(report.ratios[name]), `${name}: ${String(report.ratios[name])}`).toBe(true);
      expect(positive(report.noopRatios[name]), `${name}: ${String(report.noopRatios[name])}`).toBe(true);
    }
    expect(report.results.map((r) => r.name)).toEqual([
      "fan-out",
      "enqueue",
      "deliver (telegram)",
      "deliver (email, batches of 100)",
    ]);
    for (const line of report.results) {
      for (const side of ["ours", "fair", "noop"] as const)
        expect(positive(line[side].median), `${line.name}, ${side}: ${line[side].median}`).toBe(true);
    }
  }, 120_000);
});
