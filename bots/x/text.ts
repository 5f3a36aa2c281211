/** X's limit for a post, in weighted characters. */
export const POST_LIMIT = 280;
/** X's limit for a direct message, in characters. */
export const DM_LIMIT = 10_000;
/** Every link counts as this many characters: X shortens it to a t.co link. */
const URL_WEIGHT = 23;
const ELLIPSIS = "…";

/** Code points X counts once (Latin, Greek, Cyrillic, …, general punctuation); others (CJK, emoji) count twice. */
function charWeight(codePoint: number): number {
  const light =
    codePoint <= 0x10ff ||
    (codePoint >= 0x2000 && codePoint <= 0x200d) ||
    (codePoint >= 0x2010 && codePoint <= 0x201f) ||
    (codePoint >= 0x2032 && codePoint <= 0x2037);
  return light ? 1 : 2;
}

function tokenWeight(token: string): number {
  if (/^https?:\/\/\S+$/i.test(token)) return URL_WEIGHT;
  let weight = 0;
  for (const char of token) weight += charWeight(char.codePointAt(0)!);
  return weight;
}

/** A text's length as X counts it for a post (twitter-text's weighted length, close enough to stay under it). */
export function weightedLength(text: string): number {
  return text.split(/(\s+)/).reduce((sum, token) => sum + tokenWeight(token), 0);
}

/**
 * Fits a text into `limit` weighted characters: unchanged when it fits, else cut at the last whole word (links
 * are never cut) with "…". A cut, not a thread: a thread is several posts per delivery, which could half-fail
 * and could not be retried as one.
 */
export function fitText(text: string, limit = POST_LIMIT): string {
  if (weightedLength(text) <= limit) return text;
  const budget = limit - 1;
  let out = "";
  let used = 0;
  for (const token of text.split(/(\s+)/)) {
    const weight = tokenWeight(token);
    if (used + weight > budget) {
      if (out.trim() === "" && !/^https?:\/\//i.test(token)) {
        // one word longer than the whole budget: cut inside it rather than send nothing
        for (const char of token) {
          const w = charWeight(char.codePointAt(0)!);
          if (used + w > budget) break;
          out += char;
          used += w;
        }
      }
      break;
    }
    out += token;
    used += weight;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
}
