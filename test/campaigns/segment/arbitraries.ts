import fc from "fast-check";
import { CHANNEL_NAMES, type ChannelName, SENDING_CHANNEL_NAMES } from "../../../lib/channels.ts";
import type { CustomerSpec } from "./customers.ts";

const DAY = 86_400_000;

/** Values are drawn from small pools shared by the data and the expressions, so comparisons hit equality. */
const NAMES = [
  "Ana",
  "ana",
  "Ana Budi",
  "Łukasz",
  "ŁUKASZ",
  "O'Brien",
  'Quote "Q"',
  "back\\slash",
  "",
  "Zoë",
];
const COUNTRIES = ["ID", "PL", "US", "id"];
const LOCALES = ["en", "id", "pl"];
const TIMEZONES = ["Asia/Jakarta", "Europe/Warsaw", "UTC"];
const SOURCES = ["telegram:promo", "utm:google", "import"];
const SKUS = ["SKU-1", "SKU-2", "sku-1", "B-7"];
const CENTS = [0, 10, 20, 1_000, 2_550, 50_000, 99_999];
/** Currencies of purchases: with a rate (the property test's EUR, PLN, IDR), without (USD), or none. */
const CURRENCIES = ["EUR", "PLN", "IDR", "USD", null];
/** Amounts compared with money: sums of CENTS, and their values in EUR at the test's rates (0.23, 0.000058). */
const AMOUNTS = [0, 0.1, 0.2, 0.3, 2.3, 5.865, 10, 12.75, 25.5, 115, 500, 525.5, 999.99];
const RATING_CENTS = [100, 200, 300, 400, 450, 500];
const ATTRIBUTE_KEYS = ["tier", "score", "vip", "note"];
const TEXTS = ["gold", "Gold", "silver", "", "ł", "a b"];
const NUMBERS = [0, 1, 2, 2.5, -3, 100, 7.25];
const SUBSTRINGS = ["a", "AN", "ł", "Ł", "o'", '"', "\\", "", "@EXAMPLE", "silver", "zz"];
const DAY_OFFSETS = [-100, -61, -60, -59, -30, -10, -1, 0, 1, 10];
const JITTER_MS = [0, 0, 1, -1, 3_600_000];

const TEXT_FIELDS = [
  "name",
  "email",
  "phone",
  "country",
  "locale",
  "timezone",
  "source",
  "preferred_channel",
] as const;
type TextField = (typeof TEXT_FIELDS)[number];

function nullable<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.option(arb, { nil: null, freq: 3 });
}

function dateNear(now: Date): fc.Arbitrary<Date> {
  return fc
    .record({ days: fc.constantFrom(...DAY_OFFSETS), jitter: fc.constantFrom(...JITTER_MS) })
    .map(({ days, jitter }) => new Date(now.getTime() + days * DAY + jitter));
}

const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...TEXTS),
  fc.constantFrom(...NUMBERS),
  fc.boolean(),
  fc.constant(null),
  fc.constant(["gold"]),
  fc.constant({ nested: 1 }),
);

const consentEntry: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom("granted", "denied", "pending").map((status) => ({ status, via: "test" })),
  fc.constant("granted"),
  fc.constant({}),
  fc.constant(null),
);

/** A customer with random purchases, ratings, identities, attributes, consent and nullable fields. */
export function customerSpec(now: Date, index: number): fc.Arbitrary<CustomerSpec> {
  return fc.record({
    name: nullable(fc.constantFrom(...NAMES)),
    // Unique columns get the index; the local part repeats across customers so literals match.
    email: nullable(fc.constantFrom("ana", "piotr", "zed").map((local) => `${local}.${index}@example.com`)),
    phone: nullable(fc.constant(`+4860000${String(index).padStart(4, "0")}`)),
    country: nullable(fc.constantFrom(...COUNTRIES)),
    locale: fc.constantFrom(...LOCALES),
    timezone: nullable(fc.constantFrom(...TIMEZONES)),
    source: nullable(fc.constantFrom(...SOURCES)),
    preferredChannel: nullable(fc.constantFrom(...CHANNEL_NAMES)),
    loyaltyPoints: fc.constantFrom(0, 5, 100, 250),
    lastPurchaseAt: nullable(dateNear(now)),
    lastInteractionAt: nullable(dateNear(now)),
    createdAt: dateNear(now),
    attributes: fc.dictionary(fc.constantFrom(...ATTRIBUTE_KEYS), jsonValue, { maxKeys: 4 }),
    consent: fc.dictionary(fc.constantFrom(...CHANNEL_NAMES), consentEntry, { maxKeys: 5 }),
    purchases: fc.array(
      fc.record({
        cents: nullable(fc.constantFrom(...CENTS)),
        skus: fc.uniqueArray(fc.constantFrom(...SKUS), { maxLength: 2 }),
        currency: fc.constantFrom(...CURRENCIES),
        // from the same pool, so a refund often equals its order: fully refunded
        refunds: fc.array(fc.constantFrom(...CENTS), { maxLength: 2 }),
      }),
      { maxLength: 4 },
    ),
    ratings: fc.array(nullable(fc.constantFrom(...RATING_CENTS)), { maxLength: 3 }),
    pageViews: fc.integer({ min: 0, max: 2 }),
    identities: fc.uniqueArray(fc.constantFrom<ChannelName>(...CHANNEL_NAMES), { maxLength: 3 }),
  });
}

/** `count` customers, each with its index (unique emails and phones). */
export function customerSpecs(now: Date, count: number): fc.Arbitrary<CustomerSpec[]> {
  return fc.tuple(...Array.from({ length: count }, (_, i) => customerSpec(now, i)));
}

/** A DSL string literal. */
function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

function numberLiteral(value: number): string {
  return String(value);
}

function textPool(field: TextField): string[] {
  switch (field) {
    case "name":
      return NAMES;
    case "email":
      return ["ana.1@example.com", "ANA.1@EXAMPLE.COM", "piotr.2@example.com", "zed.0@example.com"];
    case "phone":
      return ["+48600000001", "+48600000000"];
    case "country":
      return COUNTRIES;
    case "locale":
      return LOCALES;
    case "timezone":
      return TIMEZONES;
    case "source":
      return SOURCES;
    case "preferred_channel":
      return [...SENDING_CHANNEL_NAMES];
  }
}

const op = fc.constantFrom("=", "!=", "<", "<=", ">", ">=");
const dateOp = fc.constantFrom("<", "<=", ">", ">=");
const equality = fc.constantFrom("=", "!=");

function list(values: string[]): string {
  return `[${values.join(", ")}]`;
}

function dateValue(now: Date): fc.Arbitrary<string> {
  return fc.oneof(
    fc
      .record({ days: fc.constantFrom(...DAY_OFFSETS), unit: fc.constantFrom("d", "h", "w") })
      .map(({ days, unit }) => {
        const amount =
          unit === "h" ? Math.abs(days) * 24 : unit === "w" ? Math.round(Math.abs(days) / 7) : Math.abs(days);
        return days === 0 ? "now" : `now ${days < 0 ? "-" : "+"} ${amount}${unit}`;
      }),
    dateNear(now).map((date) => quote(date.toISOString().slice(0, 10))),
    dateNear(now).map((date) => quote(date.toISOString())),
    dateNear(now).map((date) => {
      // The same moment written in Jakarta time.
      const local = new Date(date.getTime() + 7 * 3_600_000).toISOString().slice(0, 23);
      return quote(`${local}+07:00`);
    }),
  );
}

/** One condition of the grammar, as text. */
function leaf(now: Date, segments: readonly string[]): fc.Arbitrary<string> {
  const numeric = fc
    .oneof(
      fc.tuple(fc.constant("orders"), op, fc.integer({ min: 0, max: 5 }).map(numberLiteral)),
      fc.tuple(
        fc.constantFrom("total_spent", "avg_order"),
        op,
        fc.constantFrom(...AMOUNTS).map((amount) => `${numberLiteral(amount)} EUR`),
      ),
      fc
        .tuple(
          fc.tuple(fc.constantFrom("total_spent", "avg_order"), fc.constantFrom("EUR", "PLN", "IDR", "USD")),
          op,
          fc.tuple(fc.constantFrom(...AMOUNTS), fc.boolean()),
        )
        .map(([[field, code], o, [amount, named]]): [string, string, string] => [
          `${field}("${code}")`,
          o,
          named ? `${numberLiteral(amount)} ${code}` : numberLiteral(amount),
        ]),
      fc.tuple(
        fc.constant("avg_rating"),
        op,
        fc.constantFrom(1, 2.5, 3, 3.5, 4, 4.5, 4.25, 5).map(numberLiteral),
      ),
      fc.tuple(fc.constant("loyalty_points"), op, fc.constantFrom(0, 5, 100, 250, 99).map(numberLiteral)),
    )
    .map(([field, o, value]) => `${field} ${o} ${value}`);
  const numericIn = fc
    .tuple(
      fc.constantFrom("orders", "loyalty_points"),
      fc.boolean(),
      fc.uniqueArray(fc.constantFrom(0, 1, 2, 5, 100), { minLength: 1, maxLength: 3 }),
    )
    .map(
      ([field, negated, values]) =>
        `${field} ${negated ? "not in" : "in"} ${list(values.map(numberLiteral))}`,
    );
  const date = fc
    .tuple(fc.constantFrom("last_purchase", "last_interaction", "first_seen"), dateOp, dateValue(now))
    .map(([field, o, value]) => `${field} ${o} ${value}`);
  const textField = fc.constantFrom(...TEXT_FIELDS);
  const text = textField.chain((field) =>
    fc.oneof(
      fc.tuple(equality, fc.constantFrom(...textPool(field))).map(([o, v]) => `${field} ${o} ${quote(v)}`),
      fc
        .tuple(
          fc.boolean(),
          fc.uniqueArray(fc.constantFrom(...textPool(field)), { minLength: 1, maxLength: 3 }),
        )
        .map(([negated, values]) => `${field} ${negated ? "not in" : "in"} ${list(values.map(quote))}`),
      fc.constantFrom(...SUBSTRINGS).map((v) => `${field} contains ${quote(v)}`),
    ),
  );
  const nullCheck = fc
    .tuple(
      fc.constantFrom(
        "avg_rating",
        "last_purchase",
        "last_interaction",
        "name",
        "email",
        "phone",
        "country",
        "timezone",
        "source",
        "preferred_channel",
        ...ATTRIBUTE_KEYS.map((key) => `attributes.${key}`),
      ),
      fc.boolean(),
    )
    .map(([field, negated]) => `${field} is ${negated ? "not " : ""}null`);
  const set = fc.oneof(
    fc.constantFrom(...CHANNEL_NAMES).map((channel) => `channels contains ${quote(channel)}`),
    fc.constantFrom(...SKUS).map((sku) => `skus contains ${quote(sku)}`),
  );
  const consent = fc
    .tuple(fc.constantFrom("consented", "opted_out"), fc.constantFrom(...SENDING_CHANNEL_NAMES))
    .map(([fn, channel]) => `${fn}(${channel})`);
  const attributeKey = fc.constantFrom(...ATTRIBUTE_KEYS).map((key) => `attributes.${key}`);
  const attribute = fc.oneof(
    fc
      .tuple(attributeKey, op, fc.constantFrom(...NUMBERS))
      .map(([f, o, v]) => `${f} ${o} ${numberLiteral(v)}`),
    fc.tuple(attributeKey, equality, fc.constantFrom(...TEXTS)).map(([f, o, v]) => `${f} ${o} ${quote(v)}`),
    fc.tuple(attributeKey, equality, fc.boolean()).map(([f, o, v]) => `${f} ${o} ${v}`),
    fc
      .tuple(
        attributeKey,
        fc.boolean(),
        fc.uniqueArray(fc.constantFrom(...TEXTS), { minLength: 1, maxLength: 2 }),
      )
      .map(([f, negated, values]) => `${f} ${negated ? "not in" : "in"} ${list(values.map(quote))}`),
    fc
      .tuple(
        attributeKey,
        fc.boolean(),
        fc.uniqueArray(fc.constantFrom(...NUMBERS), { minLength: 1, maxLength: 2 }),
      )
      .map(([f, negated, values]) => `${f} ${negated ? "not in" : "in"} ${list(values.map(numberLiteral))}`),
    fc.tuple(attributeKey, fc.constantFrom(...SUBSTRINGS)).map(([f, v]) => `${f} contains ${quote(v)}`),
  );
  const segment = fc.constantFrom(...segments).map((name) => `segment(${name})`);
  return fc.oneof(numeric, numericIn, date, text, nullCheck, set, consent, attribute, segment);
}

/** Binding strength: or < and < not. A child binding less tightly than its place needs gets parentheses. */
type Printed = { text: string; strength: 0 | 1 | 2 };

function keyword(word: string, upper: boolean): string {
  return upper ? word.toUpperCase() : word;
}

function wrap(child: Printed, strength: number): string {
  return child.strength < strength ? `(${child.text})` : child.text;
}

/** An expression of the grammar: conditions joined by and, or, not and parentheses, keywords in any case. */
export function expression(now: Date, segments: readonly string[]): fc.Arbitrary<string> {
  const { tree } = fc.letrec<{ tree: Printed }>((tie) => ({
    tree: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf(now, segments).map((text): Printed => ({ text, strength: 2 })),
      fc
        .tuple(tie("tree"), fc.boolean())
        .map(
          ([item, upper]): Printed => ({ text: `${keyword("not", upper)} ${wrap(item, 2)}`, strength: 2 }),
        ),
      fc.tuple(tie("tree"), tie("tree"), fc.boolean()).map(
        ([a, b, upper]): Printed => ({
          text: `${wrap(a, 1)} ${keyword("and", upper)} ${wrap(b, 1)}`,
          strength: 1,
        }),
      ),
      fc.tuple(tie("tree"), tie("tree"), fc.boolean()).map(
        ([a, b, upper]): Printed => ({
          text: `${wrap(a, 0)} ${keyword("or", upper)} ${wrap(b, 0)}`,
          strength: 0,
        }),
      ),
      tie("tree").map((item): Printed => ({ text: `(${item.text})`, strength: 2 })),
    ),
  }));
  return tree.map((printed) => printed.text);
}
