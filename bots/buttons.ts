/**
 * What a press on a button means. A button carries short data (`OutboundMessage.buttons`' `value`, e.g.
 * "rate:4"): Telegram's inline keyboard as `callback_data`, Discord's button as `custom_id`. A press comes
 * back as a callback query or a component interaction, which the adapter turns into the command text the
 * conversation core understands ("/rate 4").
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
