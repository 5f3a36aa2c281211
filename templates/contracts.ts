/**
 * The data each message's templates expect, for the code that renders them. `templates/<name>/sample.yaml`
 * holds an example of each; a printed field missing from the data fails the render (see README.md).
 */

/** An amount as the shop sends it: a number, or a decimal string such as "199.99" (kept exact). */
export type MoneyAmount = number | string;

/**
 * Data of the `thank-you` message, sent after a purchase. A type alias rather than an interface so it can be
 * passed where `Record<string, unknown>` is expected.
 */
export type ThankYouData = {
  customer: {
    /** Greets by name when present; a neutral greeting otherwise. */
    name?: string;
    email?: string;
  };
  order: {
    /** The shop's order number, shown as is. */
    id: string;
    total: MoneyAmount;
    /** ISO 4217 code of every amount in the order, e.g. "IDR", "PLN", "USD". */
    currency: string;
    items: {
      /** Shown when present, else the SKU. */
      name?: string;
      sku: string;
      quantity: number;
      unitPrice: MoneyAmount;
    }[];
  };
  brand: {
    name: string;
    /** Links the brand name in the header and footer when present. */
    url?: string;
  };
  /** Signed unsubscribe link; the email shows an unsubscribe link only when present. */
  unsubscribeUrl?: string;
};
