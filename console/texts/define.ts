/**
 * One page area's texts in English, Indonesian and Polish. The English table sets the keys (`<area>.<what>`);
 * the compiler makes the other two have exactly the same ones, and a test checks their `{placeholders}`.
 *
 * ```ts
 * export const INBOX_TEXTS = defineTexts({ "inbox.filter": "Filter" }, { "inbox.filter": "Saring" }, { … });
 * ```
 */
export function defineTexts<const E extends Record<string, string>>(
  en: E,
  id: Record<keyof E, string>,
  pl: Record<keyof E, string>,
): { en: E; id: Record<keyof E, string>; pl: Record<keyof E, string> } {
  return { en, id, pl };
}
