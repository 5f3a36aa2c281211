/** Edit distance between two words (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[y.length]!;
}

/** The candidate closest to a misspelt word, if one is close enough to be what was meant ("chanels" → "channels"). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const budget = word.length <= 3 ? 1 : word.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = budget + 1;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` — did you mean 'x'?` when a close candidate exists, else `otherwise` (default: the empty string). */
export function didYouMean(word: string, candidates: readonly string[], otherwise = ""): string {
  const match = closest(word, candidates);
  return match === undefined || match === word ? otherwise : ` — did you mean '${match}'?`;
}
