/**
 * Message templates: Handlebars files per message, channel and locale (`thank-you/email.pl.hbs`), partials and
 * `Intl` helpers, rendered by a {@link TemplateStore}. See templates/README.md for the marketer's guide.
 */

export type { MoneyAmount, ThankYouData } from "./contracts.ts";
export {
  createTemplateStore,
  type RenderedMessage,
  type RenderOptions,
  type TemplateStore,
  type TemplateStoreOptions,
} from "./store.ts";
