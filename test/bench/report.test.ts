import { describe, expect, it } from "vitest";
import { parseOptions } from "../../bench/options.ts";
import { figure, row, showFigure } from "../../bench/report.ts";

describe("bench figures: the median of the runs, with min and max", () => {
  it("takes the middle value of an odd number of runs, not the mean or the first", () => {
    expect(figure([200, 10, 30])).toEqual({ median: 30, min: 10, max: 200, runs: [200, 10, 30] });
  });

  it("takes the mean of the two middle values of an even number of runs", () => {
    expect(figure([4, 1, 3, 100]).median).toBe(3.5);
  });

  it("divides median by median in both ratios", () => {
    const r = row("x", "rows/s", { ours: [1, 50, 2], fair: [4, 8, 4], noop: [20, 10, 30] }, "fair", "noop");
    expect(r.fairRatio).toBe(0.5);
    expect(r.noopRatio).toBe(0.1);
  });

  it("prints the spread only when there was more than one run", () => {
    expect(showFigure(figure([1200, 1000, 1500]))).toBe("1,200 (1,000–1,500)");
    expect(showFigure(figure([1200]))).toBe("1,200");
  });
});

describe("npm run bench -- --runs", () => {
  it("defaults to 3 runs, 1 with --quick, and takes --runs N", () => {
    expect(parseOptions([])).toMatchObject({ runs: 3 });
    expect(parseOptions(["--quick"])).toMatchObject({ runs: 1 });
    expect(parseOptions(["--quick", "--runs", "5"])).toMatchObject({ runs: 5 });
    expect(() => parseOptions(["--runs", "0"])).toThrow(/--runs/);
  });
});
