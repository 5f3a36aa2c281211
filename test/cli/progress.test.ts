import { describe, expect, it } from "vitest";
import { createProgress } from "../../cli/progress.ts";
import { manualClock } from "../../lib/clock.ts";
import { recorder } from "./capture.ts";

const clock = () => manualClock(0);

describe("createProgress", () => {
  it("redraws one line on a terminal with a bar, rate and ETA, cut to its width", () => {
    const stream = recorder(true, 60);
    const time = clock();
    const progress = createProgress({ stream, now: time.now, ticker: false });
    progress.start("validating", 200);
    time.advance(1_000);
    progress.update(50, "a.yaml");
    const frames = stream.text.split("\r").filter(Boolean);
    const last = frames.at(-1)!.replace("\x1b[K", "");
    expect(last).toMatch(/^validating \[#+-+\] 25% 50\/200 50\/s ETA 3\.0 s a\.yaml$/);
    expect(last.length).toBeLessThanOrEqual(59);
    // throttled: a second update within 100 ms draws nothing
    progress.update(51);
    expect(stream.text.split("\r").filter(Boolean)).toHaveLength(frames.length);
    time.advance(500);
    progress.finish("200 files");
    expect(stream.text.endsWith("\r\x1b[Kvalidating: 200 files (1.5 s)\n")).toBe(true);
  });

  it("prints a line every 10 % (or after 5 s) when not on a terminal", () => {
    const stream = recorder(false);
    const time = clock();
    const progress = createProgress({ stream, now: time.now, ticker: false });
    progress.start("shipping", 1_000);
    for (let done = 1; done <= 1_000; done++) {
      time.advance(1);
      progress.update(done);
    }
    progress.finish("done");
    const lines = stream.text.trimEnd().split("\n");
    expect(lines[0]).toBe("shipping: 1,000 to do");
    expect(lines.slice(1, -1).map((l) => l.split(" ")[1])).toEqual([
      "10%",
      "20%",
      "30%",
      "40%",
      "50%",
      "60%",
      "70%",
      "80%",
      "90%",
      "100%",
    ]);
    expect(lines.at(-1)).toBe("shipping: done (1.0 s)");
    expect(stream.text).not.toContain("\r");

    const slow = recorder(false);
    const slowTime = clock();
    const slowProgress = createProgress({ stream: slow, now: slowTime.now, ticker: false });
    slowProgress.start("counting", 1_000);
    slowTime.advance(6_000);
    slowProgress.update(1);
    expect(slow.text.trimEnd().split("\n").at(-1)).toMatch(/^counting: 0% 1\/1,000 0\/s ETA /);
  });

  it("shows a phase without a total as its running time, and leaves nothing when finished without a summary", () => {
    const stream = recorder(true);
    const time = clock();
    const progress = createProgress({ stream, now: time.now, ticker: false });
    progress.start("counting the audience");
    expect(stream.text).toBe("\rcounting the audience… 0 ms\x1b[K");
    progress.finish();
    expect(stream.text.endsWith("\r\x1b[K")).toBe(true);
  });
});
