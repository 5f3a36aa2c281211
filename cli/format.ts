/**
 * How the CLI shows numbers: grouped counts, percents and money through `Intl`, in English like the rest of
 * the CLI's output, so a report reads the same on every machine.
 */

const COUNT = new Intl.NumberFormat("en");
const PERCENT = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });
const DECIMAL = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** 0.1234 → "12.3%"; null (nothing to divide by) → "–". */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? "–" : PERCENT.format(ratio);
}

/** Sums per currency: "PLN 1,234.50 + USD 20.00"; "–" for none. A sum without currency shows as a number. */
export function formatMoney(sums: ReadonlyArray<{ currency: string | null; amount: string }>): string {
  if (sums.length === 0) return "–";
  return sums
    .map(({ currency, amount }) => {
      if (!currency) return DECIMAL.format(Number(amount));
      try {
        return new Intl.NumberFormat("en", { style: "currency", currency, currencyDisplay: "code" })
          .format(Number(amount))
          .replace(/\u00a0/g, " ");
      } catch {
        return `${DECIMAL.format(Number(amount))} ${currency}`;
      }
    })
    .join(" + ");
}

/** Milliseconds as "850 ms", "4.2 s", "3:05" or "1:02:03". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const total = Math.round(ms / 1_000);
  const h = Math.floor(total / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

const PERIODS: ReadonlyArray<[number, string]> = [
  [604_800_000, "week"],
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1_000, "second"],
];

/** A campaign's period in its largest whole unit: 5_184_000_000 → "60 days", 7_200_000 → "2 hours". */
export function formatPeriod(ms: number): string {
  const [unit, name] = PERIODS.find(([unit]) => ms >= unit && ms % unit === 0) ?? [1, "ms"];
  return name === "ms" ? `${ms} ms` : plural(ms / unit, name);
}

/** "1 error", "2 errors". */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${formatCount(n)} ${n === 1 ? word : words}`;
}

/** A moment as the CLI's tables show it: UTC to the minute, `2026-12-07 06:15`. */
export function formatMinute(at: Date): string {
  return at.toISOString().slice(0, 16).replace("T", " ");
}
