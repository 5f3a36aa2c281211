/**
 * RFM: recency, frequency and monetary scores 1–5 (5 best) over the buyers of the last {@link RFM_WINDOW_DAYS}
 * days, and the segment named by recency against the mean of frequency and monetary (FM, rounded up).
 *
 * | R \ FM | 1              | 2              | 3              | 4         | 5         |
 * | ------ | -------------- | -------------- | -------------- | --------- | --------- |
 * | 5      | new            | potential      | potential      | champions | champions |
 * | 4      | promising      | potential      | potential      | loyal     | champions |
 * | 3      | promising      | need_attention | need_attention | loyal     | loyal     |
 * | 2      | hibernating    | hibernating    | at_risk        | at_risk   | cant_lose |
 * | 1      | lost           | lost           | hibernating    | at_risk   | cant_lose |
 *
 * A customer who bought only before the window is `lost` with no scores; one who never bought has no RFM.
 */

/** The segments, best first. */
export const RFM_SEGMENTS = [
  "champions",
  "loyal",
  "potential",
  "new",
  "promising",
  "need_attention",
  "at_risk",
  "cant_lose",
  "hibernating",
  "lost",
] as const;
export type RfmSegment = (typeof RFM_SEGMENTS)[number];

/** How far back a purchase counts, in days. */
export const RFM_WINDOW_DAYS = 365;

/** The map above: row R (5 first), column FM (1 first). The one place it is written. */
export const RFM_MAP: Readonly<Record<1 | 2 | 3 | 4 | 5, readonly RfmSegment[]>> = {
  5: ["new", "potential", "potential", "champions", "champions"],
  4: ["promising", "potential", "potential", "loyal", "champions"],
  3: ["promising", "need_attention", "need_attention", "loyal", "loyal"],
  2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
  1: ["lost", "lost", "hibernating", "at_risk", "cant_lose"],
};

/** FM: the mean of frequency and monetary, rounded up (F 4, M 5 → 5). */
export function fmScore(frequency: number, monetary: number): number {
  return Math.ceil((frequency + monetary) / 2);
}

/** The segment of scores 1–5. */
export function rfmSegment(recency: number, frequency: number, monetary: number): RfmSegment {
  const row = RFM_MAP[recency as 1 | 2 | 3 | 4 | 5];
  const segment = row?.[fmScore(frequency, monetary) - 1];
  if (!segment) throw new Error(`RFM scores must be 1–5, got ${recency}, ${frequency}, ${monetary}`);
  return segment;
}

/** Every (R, FM, segment) of the map, for SQL's VALUES. */
export function rfmMapRows(): Array<{ recency: number; fm: number; segment: RfmSegment }> {
  return ([5, 4, 3, 2, 1] as const).flatMap((recency) =>
    RFM_MAP[recency].map((segment, i) => ({ recency, fm: i + 1, segment })),
  );
}
