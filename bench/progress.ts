import { perSecond } from "./measure.ts";

/** A line that rewrites itself on a terminal, and prints at most every quarter otherwise (CI logs, tests). */
export function progressLine(label: string): { update(done: number, total: number): void; end(): void } {
  const tty = process.stdout.isTTY;
  const started = performance.now();
  let lastQuarter = -1;
  const text = (done: number, total: number) =>
    `${label}: ${done.toLocaleString("en")} / ${total.toLocaleString("en")} (${Math.round(
      perSecond(done, performance.now() - started),
    ).toLocaleString("en")}/s)`;
  let last = "";
  return {
    update(done, total) {
      last = text(done, total);
      if (tty) {
        process.stdout.write(`\r${last}\u001b[K`);
        return;
      }
      const quarter = Math.floor((done / Math.max(total, 1)) * 4);
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter;
        console.log(last);
      }
    },
    end() {
      if (tty) process.stdout.write(`\r${last}\u001b[K\n`);
      else if (last) console.log(last);
    },
  };
}
