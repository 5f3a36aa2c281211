const formats = new Map<string, Intl.NumberFormat>();

/** One cached formatter per locale and options: building an `Intl.NumberFormat` costs more than using it. */
function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let found = formats.get(key);
  if (!found) {
    found = new Intl.NumberFormat(locale, options);
    formats.set(key, found);
  }
  return found;
}

/** A share (0.125) as a percentage in a locale: "12.5%", "12,5%", "12,5%"; null stays null. */
export function formatPercent(share: number | null, locale: string, decimals = 1): string | null {
  if (share === null || !Number.isFinite(share)) return null;
  return numberFormat(locale, { style: "percent", maximumFractionDigits: decimals }).format(share);
}

/** A difference in percentage points with its sign: "+2.5", "−1", in a locale. */
export function formatPoints(points: number | null, locale: string): string | null {
  if (points === null || !Number.isFinite(points)) return null;
  return numberFormat(locale, { maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(points);
}
