import type { CountryCode } from "libphonenumber-js";
import type { z } from "zod";
import { GenericEvent, MAX_FUTURE_MS, PostalAddress, PurchaseEvent } from "../../bots/events.ts";
import { CHANNEL_NAMES, toLocale } from "../../lib/channels.ts";
import { cleanJson, cleanText } from "../../lib/clean-text.ts";
import { toE164 } from "../../lib/phone.ts";
import { isTimeZone } from "../../lib/zoned-time.ts";
import type { ColumnMapping, ImportKind } from "./columns.ts";
import type { RawRecord } from "./input.ts";

/** A row (or one cell of it) that was not loaded, as the reject file lists it. */
export interface Reject {
  /** The file's line where the row starts (a quoted cell may span lines). */
  line: number;
  /** The column at fault, as the file's header names it; empty for the whole row. */
  column: string;
  value: string;
  reason: string;
}

/** Where a staged row goes: the staging table's columns, in order; `line` is always first. */
export const STAGING_COLUMNS: Record<ImportKind, readonly (readonly [string, string])[]> = {
  customers: [
    ["line", "int"],
    ["external_id", "text"],
    ["email", "text"],
    ["phone", "text"],
    ["name", "text"],
    ["locale", "text"],
    ["timezone", "text"],
    ["country", "text"],
    ["attributes", "jsonb"],
    ["email_consent", "text"],
    ["address", "jsonb"],
  ],
  orders: [
    ["line", "int"],
    ["order_id", "text"],
    ["c_external", "text"],
    ["c_email", "text"],
    ["c_phone", "text"],
    ["c_name", "text"],
    ["total", "numeric"],
    ["currency", "text"],
    ["occurred_at", "timestamptz"],
    ["items", "jsonb"],
    ["properties", "jsonb"],
  ],
  events: [
    ["line", "int"],
    ["type", "text"],
    ["event_id", "text"],
    ["c_external", "text"],
    ["c_email", "text"],
    ["c_phone", "text"],
    ["c_name", "text"],
    ["value", "numeric"],
    ["currency", "text"],
    ["occurred_at", "timestamptz"],
    ["properties", "jsonb"],
  ],
  consent: [
    ["line", "int"],
    ["c_external", "text"],
    ["c_email", "text"],
    ["c_phone", "text"],
    ["c_name", "text"],
    ["channel", "text"],
    ["status", "text"],
    ["at", "timestamptz"],
    ["source", "text"],
    ["evidence", "jsonb"],
  ],
  suppressions: [
    ["line", "int"],
    ["channel", "text"],
    ["address", "text"],
    ["reason", "text"],
    ["source", "text"],
  ],
};

/** A staged cell: text, a number, or null; JSON goes as its text. */
export type Cell = string | number | null;

/** What one record became: a row for the staging table, or why not. */
export type Staged = { row: Cell[]; rejects?: undefined } | { row?: undefined; rejects: Reject[] };

export interface RowOptions {
  /** The region of phone numbers written without a country code (`--country`), unless the row has a country. */
  country?: CountryCode;
  /** The import's time: the latest an event may be (plus a day), and a consent's time when the file has none. */
  now: Date;
  /** The file's name, kept as the evidence of a consent. */
  file: string;
}

const CustomerRef = PurchaseEvent.shape.customer;
const YES = new Set([
  "yes",
  "y",
  "true",
  "1",
  "granted",
  "optin",
  "opt-in",
  "subscribed",
  "ya",
  "iya",
  "tak",
  "x",
]);
const NO = new Set(["no", "n", "false", "0", "denied", "optout", "opt-out", "unsubscribed", "tidak", "nie"]);
const SUPPRESSION_REASONS: Record<string, string> = {
  unsubscribed: "unsubscribed",
  unsubscribe: "unsubscribed",
  optout: "unsubscribed",
  bounced: "bounced",
  bounce: "bounced",
  hardbounce: "bounced",
  complained: "complained",
  complaint: "complained",
  spam: "complained",
  stopped: "stopped",
  stop: "stopped",
  manual: "manual",
};
const SOURCE = /^[a-z][a-z0-9_]{0,39}$/;

/** Country names in English, Indonesian and Polish (and the codes themselves) → ISO 3166-1 alpha-2. */
const COUNTRIES: Map<string, string> = (() => {
  const names = new Map<string, string>();
  const displays = ["en", "id", "pl"].map(
    (l) => new Intl.DisplayNames([l], { type: "region", fallback: "none" }),
  );
  for (let a = 65; a <= 90; a++)
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const known = displays.map((d) => d.of(code)).filter((n): n is string => Boolean(n));
      if (known.length === 0) continue;
      names.set(code.toLowerCase(), code);
      for (const name of known) names.set(name.toLowerCase(), code);
    }
  return names;
})();

/** A cell's text, trimmed and cleaned; an empty cell is undefined. */
function text(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const raw =
    typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  const cleaned = cleanText(raw).trim();
  return cleaned === "" ? undefined : cleaned;
}

/** A country code or name (Poland, Polska, Indonesia, Polandia…) as its two-letter code. */
export function toCountry(value: string): string | undefined {
  return COUNTRIES.get(value.trim().toLowerCase());
}

/**
 * A date or time from a spreadsheet as ISO 8601: `2026-11-20T10:00:00+07:00` as it is; without an offset
 * (`2026-11-20 10:00`, `2026-11-20`) in UTC; day first with dots, slashes or dashes (`20.11.2026`,
 * `20/11/2026 10:00`) as Polish and Indonesian sheets write them.
 */
export function toIsoTime(value: string): string | undefined {
  const v = value.trim();
  let m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      v,
    );
  let parts: string[] | undefined;
  if (m) parts = [m[1]!, m[2]!, m[3]!, m[4] ?? "0", m[5] ?? "00", m[6] ?? "00", m[7] ?? "", m[8] ?? "Z"];
  else {
    m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
    if (m)
      parts = [
        m[3]!,
        m[2]!.padStart(2, "0"),
        m[1]!.padStart(2, "0"),
        m[4] ?? "0",
        m[5] ?? "00",
        m[6] ?? "00",
        "",
        "Z",
      ];
  }
  if (!parts) return undefined;
  const [y, mo, d, h, mi, s, frac, zone] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const offset =
    zone.toUpperCase() === "Z" ? "Z" : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const iso = `${y}-${mo}-${d}T${h.padStart(2, "0")}:${mi}:${s}${frac}${offset}`;
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return undefined;
  // Date.parse rolls 31.02 over into March: compare the day back
  const check = new Date(at + (offset === "Z" ? 0 : offsetMs(offset)));
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() + 1 !== Number(mo)) return undefined;
  return iso;
}

function offsetMs(offset: string): number {
  const sign = offset.startsWith("-") ? -1 : 1;
  const [h, m] = offset.slice(1).split(":").map(Number) as [number, number];
  return sign * (h * 60 + m) * 60_000;
}

/** An amount as a spreadsheet writes it (`1 234,50`, `199.99`) as `1234.50`; left alone when unclear. */
function toAmount(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const v = value.replace(/[\s\u00a0']/g, "");
  return /^\d+,\d{1,3}$/.test(v) ? v.replace(",", ".") : v;
}

/** The fields of an order row that belong to the order, not to its line item: a later row of it may leave them empty. */
const ORDER_FIELDS = [
  "externalId",
  "email",
  "phone",
  "name",
  "firstName",
  "lastName",
  "total",
  "currency",
  "occurredAt",
];

/** A record's cells by field, with the header that held each, and the rest (attributes, properties). */
export class Fields {
  readonly values = new Map<string, { value: unknown; column: string }>();
  readonly extras: Record<string, unknown> = {};
  /** Fields taken from an earlier row of the same order ({@link Fields.inherit}). */
  readonly inherited = new Set<string>();
  constructor(record: Extract<RawRecord, { headers: readonly string[] }>, mapping: ColumnMapping) {
    for (const [i, target] of mapping.targets.entries()) {
      const value = record.values[i];
      if (value === undefined || value === null || value === "") continue;
      const column = record.headers[i]!;
      if ("field" in target) this.values.set(target.field, { value, column });
      else if ("extra" in target) {
        if (
          typeof value === "object" &&
          !Array.isArray(value) &&
          (target.extra === "attributes" || target.extra === "properties")
        )
          Object.assign(this.extras, value);
        else this.extras[target.extra] = typeof value === "string" ? value.trim() : value;
      }
    }
  }
  text(field: string): string | undefined {
    return text(this.values.get(field)?.value);
  }
  raw(field: string): unknown {
    return this.values.get(field)?.value;
  }
  column(field: string): string {
    return this.values.get(field)?.column ?? field;
  }
  /** Takes the order's fields this row leaves empty from the order's first row (Shopify fills them there only). */
  inherit(first: Fields): void {
    for (const field of ORDER_FIELDS) {
      const cell = first.values.get(field);
      if (cell && !this.values.has(field)) {
        this.values.set(field, cell);
        this.inherited.add(field);
      }
    }
  }
}

/** The first row error's message (and where) from a zod result, per field. */
type Issue = { field: string; message: string };

/** Collects a record's problems; each names the column, the value and why. */
class Problems {
  readonly rejects: Reject[] = [];
  constructor(
    private readonly line: number,
    private readonly fields: Fields,
  ) {}
  add(field: string, reason: string, value?: unknown): void {
    const shown = value ?? this.fields.raw(field);
    this.rejects.push({
      line: this.line,
      column: field === "" ? "" : this.fields.column(field),
      value: shown === undefined ? "" : (text(shown) ?? ""),
      reason,
    });
  }
}

/** Field of a zod issue path of an event body (customer.email → email, items.0.price → items). */
function fieldOfPath(path: readonly PropertyKey[]): string {
  const [first, second] = path;
  if (first === "customer") return typeof second === "string" ? second : "email";
  if (first === "items" && typeof second === "number" && path.length > 2) {
    const key = path[2];
    return key === "price" || key === "quantity" || key === "sku" ? String(key) : "items";
  }
  return String(first ?? "");
}

function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ field: fieldOfPath(i.path), message: i.message }));
}

/** The data of a schema's result, or undefined with each issue added to the row's problems. */
function parsedOr<T>(result: z.ZodSafeParseResult<T>, problems: Problems): T | undefined {
  if (result.success) return result.data;
  for (const issue of issuesOf(result.error)) problems.add(issue.field, issue.message);
  return undefined;
}

/** A contact's staging cells: customer id, email, phone, name. */
const contactCells = (contact: {
  externalId?: string;
  email?: string;
  phone?: string;
  name?: string;
}): Cell[] => [
  contact.externalId ?? null,
  contact.email ?? null,
  contact.phone ?? null,
  contact.name ?? null,
];

/** The contact fields naming a row's customer, validated as the events API validates them. */
function contactOf(fields: Fields, problems: Problems, options: RowOptions) {
  const externalId = fields.text("externalId");
  const emailText = fields.text("email");
  const email = emailText?.toLowerCase();
  if (email !== undefined && !CustomerRef.shape.email.safeParse(email).success)
    problems.add("email", "expected an email address");
  const phoneText = fields.text("phone");
  const countryText = fields.text("country");
  const region = (countryText && toCountry(countryText)) || options.country;
  const phone = phoneText === undefined ? undefined : toE164(phoneText, region as CountryCode | undefined);
  if (phoneText !== undefined && phone === undefined)
    problems.add(
      "phone",
      `expected a phone number${region ? ` (national numbers are read as ${region}: see --country)` : " with its country code, such as +48601234567 (or give --country)"}`,
    );
  const first = fields.text("firstName");
  const last = fields.text("lastName");
  const name = (fields.text("name") ?? ([first, last].filter(Boolean).join(" ") || undefined))?.slice(0, 200);
  if (externalId !== undefined && externalId.length > 200)
    problems.add("externalId", "expected at most 200 characters");
  return { externalId, email, phone, name };
}

function needsContact(
  contact: { externalId?: string; email?: string; phone?: string },
  problems: Problems,
  fields: Fields,
) {
  if (
    contact.externalId === undefined &&
    contact.email === undefined &&
    contact.phone === undefined &&
    !fields.values.has("email") &&
    !fields.values.has("phone")
  )
    problems.add("email", "expected at least one of a customer id, an email or a phone number", "");
}

/** Attributes or properties: JSON values cleaned and bounded as the events API bounds properties. */
function extrasJson(
  fields: Fields,
  problems: Problems,
  extra: Record<string, unknown> = {},
): string | undefined {
  const all = { ...fields.extras, ...extra };
  if (Object.keys(all).length === 0) return "{}";
  const cleaned = cleanJson(all, { maxDepth: 32, maxKeys: 1_000 });
  if (!cleaned.ok) {
    problems.add("", `${cleaned.path.join(".")}: ${cleaned.message}`, "");
    return undefined;
  }
  return JSON.stringify(cleaned.value);
}

function status(value: string | undefined): "granted" | "denied" | undefined | null {
  if (value === undefined) return undefined;
  const v = value.toLowerCase().replace(/\s/g, "");
  if (YES.has(v)) return "granted";
  if (NO.has(v)) return "denied";
  return null;
}

function stageCustomer(fields: Fields, problems: Problems, options: RowOptions): Cell[] | undefined {
  const contact = contactOf(fields, problems, options);
  needsContact(contact, problems, fields);
  const locale = fields.text("locale");
  if (locale !== undefined && !CustomerRef.shape.locale.safeParse(locale).success)
    problems.add("locale", "expected a language tag such as pl or id-ID");
  const timezone = fields.text("timezone");
  if (timezone !== undefined && !isTimeZone(timezone))
    problems.add("timezone", "expected an IANA time zone such as Europe/Warsaw");
  const countryText = fields.text("country");
  const country = countryText === undefined ? undefined : toCountry(countryText);
  if (countryText !== undefined && country === undefined)
    problems.add("country", "expected a country such as PL, Poland or Polska");
  const consentText = fields.text("emailConsent");
  const consent = status(consentText);
  if (consent === null)
    problems.add("emailConsent", "expected yes or no (ya/tidak, tak/nie, granted/denied)");
  const { address, rest } = addressOf(fields, problems, country);
  const attributes = extrasJson(fields, problems, rest);
  if (problems.rejects.length > 0) return undefined;
  return [
    ...contactCells(contact),
    locale === undefined ? null : toLocale(locale),
    timezone ?? null,
    country ?? null,
    attributes!,
    consent ?? null,
    address === undefined ? null : JSON.stringify(address),
  ];
}

/** Address columns → the fields of `Customer.address`. */
const ADDRESS_FIELDS = [
  ["address", "line1"],
  ["addressLine2", "line2"],
  ["city", "city"],
  ["postalCode", "postalCode"],
  ["region", "region"],
] as const;

/**
 * The row's postal address as `Customer.address` holds it (checked by the events API's PostalAddress), with
 * the row's country. Without a street or a city (a postal code alone) it is no address: those cells are
 * kept as attributes instead.
 */
function addressOf(fields: Fields, problems: Problems, country: string | undefined) {
  const given: Record<string, string> = {};
  for (const [field, key] of ADDRESS_FIELDS) {
    const value = fields.text(field);
    if (value !== undefined) given[key] = value;
  }
  if (Object.keys(given).length === 0) return { address: undefined, rest: {} };
  if (given.line1 === undefined && given.city === undefined) return { address: undefined, rest: given };
  const parsed = parsedOr(PostalAddress.safeParse({ ...given, country }), problems);
  return { address: parsed, rest: {} };
}

function checkTime(
  fields: Fields,
  problems: Problems,
  field: string,
  options: RowOptions,
  required: boolean,
) {
  const value = fields.text(field);
  if (value === undefined) {
    if (required) problems.add(field, "expected a date such as 2026-11-20 or 2026-11-20T10:00:00+07:00", "");
    return undefined;
  }
  const iso = toIsoTime(value);
  if (iso === undefined)
    problems.add(field, "expected a date such as 2026-11-20 or 2026-11-20T10:00:00+07:00");
  else if (Date.parse(iso) > options.now.getTime() + MAX_FUTURE_MS)
    problems.add(field, "expected a time no later than a day from now");
  return iso;
}

function stageOrder(fields: Fields, problems: Problems, options: RowOptions): Cell[] | undefined {
  const contact = contactOf(fields, problems, options);
  needsContact(contact, problems, fields);
  const occurredAt = checkTime(fields, problems, "occurredAt", options, true);
  let items: unknown = fields.raw("items");
  if (typeof items === "string") {
    try {
      items = JSON.parse(items);
    } catch {
      problems.add("items", 'expected a JSON list such as [{"sku":"A1","quantity":2,"price":"9.99"}]');
    }
  } else if (items === undefined && (fields.values.has("sku") || fields.values.has("itemName"))) {
    // one line item a row: the sku, else its name (Shopify leaves the sku of some products empty)
    const quantity = fields.text("quantity");
    const name = fields.text("itemName")?.slice(0, 500);
    items = [
      {
        sku: (fields.text("sku") ?? name)?.slice(0, 200),
        ...(name !== undefined && { name }),
        quantity: quantity === undefined ? 1 : /^\d+$/.test(quantity) ? Number(quantity) : quantity,
        // without a price column, the row's own total (not the order's, taken from its first row)
        price: toAmount(fields.raw("price") ?? (fields.inherited.has("total") ? "" : fields.raw("total"))),
      },
    ];
  }
  if (problems.rejects.length > 0) return undefined;
  const body = {
    type: "purchase",
    orderId: fields.text("orderId") ?? "",
    occurredAt,
    customer: definedOnly({ ...contact }),
    total: toAmount(fields.raw("total") ?? ""),
    currency: fields.text("currency") ?? "",
    items: Array.isArray(items)
      ? items.map((i) =>
          i && typeof i === "object" ? { ...i, price: toAmount((i as { price?: unknown }).price) } : i,
        )
      : items,
    properties: fields.extras,
  };
  const order = parsedOr(PurchaseEvent.safeParse(body), problems);
  if (!order) return undefined;
  return [
    order.orderId,
    ...contactCells(contact),
    String(order.total),
    order.currency,
    occurredAt!,
    JSON.stringify(order.items),
    JSON.stringify(order.properties),
  ];
}

function stageEvent(fields: Fields, problems: Problems, options: RowOptions): Cell[] | undefined {
  const contact = contactOf(fields, problems, options);
  needsContact(contact, problems, fields);
  const occurredAt = checkTime(fields, problems, "occurredAt", options, true);
  const type = fields.text("type");
  if (type === "purchase") problems.add("type", "purchases are orders: use rapport import orders");
  if (problems.rejects.length > 0) return undefined;
  const value = fields.raw("value");
  const parsed = GenericEvent.safeParse({
    type: type ?? "",
    id: fields.text("id"),
    occurredAt,
    customer: definedOnly({ ...contact, name: undefined }),
    value: value === undefined ? undefined : toAmount(value),
    currency: fields.text("currency"),
    properties: fields.extras,
  });
  const event = parsedOr(parsed, problems);
  if (!event) return undefined;
  return [
    event.type,
    event.id ?? null,
    ...contactCells(contact),
    event.value === undefined ? null : String(event.value),
    event.currency ?? null,
    occurredAt!,
    JSON.stringify(event.properties),
  ];
}

function stageConsent(
  fields: Fields,
  problems: Problems,
  options: RowOptions,
  line: number,
): Cell[] | undefined {
  const contact = contactOf(fields, problems, options);
  needsContact(contact, problems, fields);
  const channelText = fields
    .text("channel")
    ?.toLowerCase()
    .replace(/[^a-z]/g, "");
  const channel = channelText === "mail" ? "email" : channelText;
  if (channel === undefined || !(CHANNEL_NAMES as readonly string[]).includes(channel))
    problems.add("channel", `expected a channel: ${CHANNEL_NAMES.join(", ")}`, fields.text("channel") ?? "");
  const answer = status(fields.text("status"));
  if (!answer)
    problems.add(
      "status",
      "expected granted or denied (yes/no, ya/tidak, tak/nie)",
      fields.text("status") ?? "",
    );
  const at =
    fields.text("at") === undefined
      ? options.now.toISOString()
      : checkTime(fields, problems, "at", options, true);
  const sourceText = fields.text("source");
  const source =
    sourceText === undefined
      ? "import"
      : sourceText
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "_")
          .replace(/^_+|_+$/g, "");
  if (!SOURCE.test(source)) problems.add("source", "expected a source name such as checkout_form");
  if (problems.rejects.length > 0) return undefined;
  return [
    ...contactCells(contact),
    channel!,
    answer!,
    // never later than now: a choice dated ahead would shut out every later change (as the events API)
    new Date(Math.min(Date.parse(at!), options.now.getTime())).toISOString(),
    source,
    JSON.stringify({ file: options.file, line }),
  ];
}

function stageSuppression(fields: Fields, problems: Problems): Cell[] | undefined {
  const address = fields.text("address");
  const channelText = fields
    .text("channel")
    ?.toLowerCase()
    .replace(/[^a-z]/g, "");
  const channel =
    channelText === undefined
      ? address?.includes("@")
        ? "email"
        : undefined
      : channelText === "mail"
        ? "email"
        : channelText;
  if (channel === undefined || !(CHANNEL_NAMES as readonly string[]).includes(channel))
    problems.add("channel", `expected a channel: ${CHANNEL_NAMES.join(", ")}`, fields.text("channel") ?? "");
  if (address === undefined) problems.add("address", "expected an email address or chat id", "");
  else if (channel === "email" && !CustomerRef.shape.email.safeParse(address.toLowerCase()).success)
    problems.add("address", "expected an email address");
  const reasonText = fields.text("reason");
  const reason =
    reasonText === undefined
      ? "manual"
      : SUPPRESSION_REASONS[reasonText.toLowerCase().replace(/[^a-z]/g, "")];
  if (reason === undefined)
    problems.add("reason", "expected unsubscribed, bounced, complained, stopped or manual");
  const sourceText = fields.text("source");
  if (problems.rejects.length > 0) return undefined;
  return [
    channel!,
    channel === "email" ? address!.toLowerCase() : address!,
    reason!,
    sourceText?.slice(0, 200) ?? "import",
  ];
}

function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Validates one record of a `kind` file into a staging row (its line first), or the reasons it is rejected.
 * `order`: the fields of the first row of the same order (orders): the order's cells this row leaves empty
 * are taken from it. The result's `fields` are the row's, for the rows after it.
 */
export function stageRecord(
  kind: ImportKind,
  record: RawRecord,
  mapping: ColumnMapping,
  options: RowOptions,
  order?: Fields,
): Staged & { fields?: Fields } {
  if ("error" in record)
    return { rejects: [{ line: record.line, column: "", value: record.text, reason: record.error }] };
  const fields = new Fields(record, mapping);
  if (order) fields.inherit(order);
  if (record.values.length > record.headers.length)
    return {
      rejects: [
        {
          line: record.line,
          column: "",
          value: "",
          reason: `${record.values.length} cells where the header has ${record.headers.length} columns (an unquoted delimiter?)`,
        },
      ],
    };
  const problems = new Problems(record.line, fields);
  const row =
    kind === "customers"
      ? stageCustomer(fields, problems, options)
      : kind === "orders"
        ? stageOrder(fields, problems, options)
        : kind === "events"
          ? stageEvent(fields, problems, options)
          : kind === "consent"
            ? stageConsent(fields, problems, options, record.line)
            : stageSuppression(fields, problems);
  if (!row || problems.rejects.length > 0) return { rejects: problems.rejects, fields };
  return { row: [record.line, ...row], fields };
}
