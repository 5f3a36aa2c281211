/**
 * What a press on an inline button means. A button carries short callback data (`OutboundMessage.buttons`'
 * `value`, e.g. "rate:4"); a press comes back as a callback query, which the adapter turns into the command
 * text the conversation core understands ("/rate 4").
 */

const RATING_DATA = /^rate:([1-5])$/;

/**
 * The command text a button press stands for ("rate:4" → "/rate 4"), or `undefined` for data this bot
 * never puts on a button (stale keyboards, tampered clients).
 */
export function commandForButtonData(data: string | undefined): string | undefined {
  const rating = RATING_DATA.exec(data ?? "");
  return rating ? `/rate ${rating[1]}` : undefined;
}
