/**
 * Which column of an imported file feeds which field: headers matched case-, space-, accent-, dash- and
 * underscore-insensitively against aliases in English, Indonesian and Polish, with `--map column=field`
 * taking precedence. What no alias names is kept as a customer attribute (customers), an event property
 * (orders, events) or reported as ignored (consent, suppressions).
 */

/** What can be imported. */
export const IMPORT_KINDS = ["customers", "orders", "events", "consent", "suppressions"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** Contact fields naming the customer a row is about (orders, events, consent). */
const CUSTOMER_REF: Record<string, string[]> = {
  externalId: [
    "externalid",
    "customerid",
    "customerexternalid",
    "customerno",
    "customernumber",
    "clientid",
    "idpelanggan",
    "kodepelanggan",
    "nopelanggan",
    "idklienta",
    "nrklienta",
    "numerklienta",
  ],
  email: [
    "email",
    "emailaddress",
    "mail",
    "customeremail",
    "alamatemail",
    "surel",
    "adresemail",
    "adresemailowy",
  ],
  phone: [
    "phone",
    "phonenumber",
    "telephone",
    "tel",
    "mobile",
    "mobilephone",
    "cellphone",
    "customerphone",
    "telefon",
    "telepon",
    "nomortelepon",
    "notelepon",
    "nohp",
    "nomorhp",
    "hp",
    "whatsapp",
    "wa",
    "numertelefonu",
    "nrtelefonu",
    "komorka",
  ],
  name: [
    "name",
    "fullname",
    "customername",
    "nama",
    "namalengkap",
    "namapelanggan",
    "imieinazwisko",
    "nazwa",
  ],
  firstName: ["firstname", "givenname", "namadepan", "imie"],
  lastName: ["lastname", "surname", "familyname", "namabelakang", "nazwisko"],
};

const WHEN = [
  "occurredat",
  "date",
  "time",
  "datetime",
  "timestamp",
  "createdat",
  "tanggal",
  "waktu",
  "data",
  "czas",
];

const ALIASES: Record<ImportKind, Record<string, string[]>> = {
  customers: {
    ...CUSTOMER_REF,
    externalId: [...CUSTOMER_REF.externalId!, "id"],
    locale: ["locale", "language", "lang", "bahasa", "jezyk"],
    timezone: ["timezone", "tz", "timezonename", "zonawaktu", "strefaczasowa"],
    country: ["country", "countrycode", "negara", "kodenegara", "kraj", "panstwo"],
    emailConsent: [
      "emailconsent",
      "consentemail",
      "acceptsmarketing",
      "acceptsemailmarketing",
      "marketingconsent",
      "newsletter",
      "optin",
      "persetujuanemail",
      "zgodaemail",
      "zgodamarketingowa",
    ],
    city: ["city", "town", "kota", "kabupaten", "miasto", "miejscowosc"],
    address: ["address", "street", "addressline1", "address1", "alamat", "jalan", "adres", "ulica"],
    addressLine2: ["addressline2", "address2", "alamat2", "adres2"],
    postalCode: ["postalcode", "postcode", "zip", "zipcode", "kodepos", "kodpocztowy"],
    region: ["region", "state", "province", "provinsi", "wojewodztwo"],
  },
  orders: {
    ...CUSTOMER_REF,
    email: [...CUSTOMER_REF.email!, "billingemail"],
    name: [...CUSTOMER_REF.name!, "billingname"],
    orderId: [
      "orderid",
      "order",
      "ordernumber",
      "orderno",
      "id",
      "transactionid",
      "idpesanan",
      "nopesanan",
      "nomorpesanan",
      "idtransaksi",
      "idzamowienia",
      "numerzamowienia",
      "nrzamowienia",
      "zamowienie",
    ],
    total: [
      "total",
      "amount",
      "value",
      "ordertotal",
      "grandtotal",
      "jumlah",
      "totalharga",
      "kwota",
      "suma",
      "wartosc",
    ],
    currency: ["currency", "currencycode", "curr", "ordercurrency", "matauang", "waluta"],
    occurredAt: [...WHEN, "orderdate", "orderedat", "tanggalpesanan", "datazamowienia"],
    items: ["items", "lineitems", "lines", "produk", "pozycje"],
    // one row per line item (Shopify's orders export: Lineitem sku…; WooCommerce exports: item_sku…)
    sku: [
      "sku",
      "productid",
      "product",
      "lineitemsku",
      "itemsku",
      "variantsku",
      "kodeproduk",
      "kodproduktu",
      "produkt",
    ],
    itemName: [
      "itemname",
      "lineitemname",
      "productname",
      "producttitle",
      "namaproduk",
      "namabarang",
      "nazwaproduktu",
      "nazwatowaru",
    ],
    quantity: [
      "quantity",
      "qty",
      "lineitemquantity",
      "itemquantity",
      "itemqty",
      "jumlahbarang",
      "kuantitas",
      "ilosc",
    ],
    price: [
      "price",
      "unitprice",
      "lineitemprice",
      "itemprice",
      "itemcost",
      "harga",
      "hargasatuan",
      "cena",
      "cenajednostkowa",
    ],
  },
  events: {
    ...CUSTOMER_REF,
    type: ["type", "event", "eventtype", "eventname", "jenis", "jenisevent", "typ", "rodzaj", "zdarzenie"],
    id: ["eventid", "id"],
    occurredAt: WHEN,
    value: ["value", "amount", "nilai", "jumlah", "wartosc", "kwota"],
    currency: ["currency", "currencycode", "matauang", "waluta"],
  },
  consent: {
    ...CUSTOMER_REF,
    channel: ["channel", "kanal", "saluran", "media"],
    status: ["status", "consent", "granted", "persetujuan", "zgoda"],
    at: ["at", ...WHEN, "consentedat", "givenat"],
    source: ["source", "sumber", "zrodlo", "via"],
  },
  suppressions: {
    address: ["address", "email", "emailaddress", "chatid", "userid", "alamat", "adres", "recipient"],
    channel: ["channel", "kanal", "saluran"],
    reason: ["reason", "alasan", "powod", "przyczyna"],
    source: ["source", "sumber", "zrodlo"],
  },
};

/** The fields a kind knows, for `--map` and the README's table. */
export function fieldsOf(kind: ImportKind): string[] {
  return Object.keys(ALIASES[kind]);
}

/** The aliases of each field of a kind (normalised), for the README and `--help`. */
export function aliasesOf(kind: ImportKind): Readonly<Record<string, readonly string[]>> {
  return ALIASES[kind];
}

/** A header as it is compared: lower case, without accents, spaces, dashes, dots and underscores. */
export function normaliseHeader(header: string): string {
  return header
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/ł/g, "l")
    .replace(/Ł/g, "L")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, "");
}

/** An unknown header as an attribute or property name: `Loyalty Tier` → `loyalty_tier`. */
export function attributeName(header: string): string {
  const name = header
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
  return name || "column";
}

/** Where one column goes. */
export type ColumnTarget =
  | { field: string }
  | { extra: string } // an attribute (customers) or a property (orders, events)
  | { ignored: true };

/** The header mapped. */
export interface ColumnMapping {
  targets: ColumnTarget[];
  /** The headers no field took and that are dropped (consent, suppressions, or `--map col=ignore`). */
  ignored: string[];
}

/** A `--map` that names no field of this kind, or no column of the file. */
export class MappingError extends Error {
  override name = "MappingError";
}

/**
 * Maps a file's header. `overrides` are `column=field` pairs (`--map "Nr klienta=externalId"`), `field` being
 * one of {@link fieldsOf}, `attributes.<name>` / `properties.<name>`, or `ignore`.
 */
export function mapColumns(kind: ImportKind, headers: string[], overrides: string[] = []): ColumnMapping {
  const byAlias = new Map<string, string>();
  for (const [field, aliases] of Object.entries(ALIASES[kind])) {
    byAlias.set(normaliseHeader(field), field);
    for (const alias of aliases) if (!byAlias.has(alias)) byAlias.set(alias, field);
  }
  // Shopify's orders export names the order "Name" (#1001), one row per line item (Lineitem sku, …)
  if (kind === "orders" && headers.some((h) => normaliseHeader(h).startsWith("lineitem")))
    byAlias.set("name", "orderId");
  const forced = new Map<string, ColumnTarget>();
  for (const pair of overrides) {
    const at = pair.lastIndexOf("=");
    const column = at > 0 ? pair.slice(0, at).trim() : "";
    const target = at > 0 ? pair.slice(at + 1).trim() : "";
    if (!column || !target) throw new MappingError(`--map ${pair}: expected column=field`);
    if (!headers.some((h) => normaliseHeader(h) === normaliseHeader(column)))
      throw new MappingError(
        `--map ${pair}: the file has no column "${column}" (it has: ${headers.join(", ")})`,
      );
    const extra = /^(attributes|properties)\.(.+)$/.exec(target);
    if (target === "ignore") forced.set(normaliseHeader(column), { ignored: true });
    else if (extra) forced.set(normaliseHeader(column), { extra: extra[2]! });
    else {
      const field = fieldsOf(kind).find((f) => f.toLowerCase() === target.toLowerCase());
      if (!field)
        throw new MappingError(
          `--map ${pair}: ${kind} have no field "${target}" (fields: ${fieldsOf(kind).join(", ")}, attributes.<name>, ignore)`,
        );
      forced.set(normaliseHeader(column), { field });
    }
  }
  const taken = new Set<string>();
  const ignored: string[] = [];
  const keepsExtras = kind === "customers" || kind === "orders" || kind === "events";
  const targets = headers.map((header): ColumnTarget => {
    const key = normaliseHeader(header);
    const target = forced.get(key) ?? (byAlias.has(key) ? { field: byAlias.get(key)! } : undefined);
    if (target && "field" in target && !taken.has(target.field)) {
      taken.add(target.field);
      return target;
    }
    if (target && "extra" in target) return target;
    if (keepsExtras && !(target && "ignored" in target)) return { extra: attributeName(header) };
    ignored.push(header);
    return { ignored: true };
  });
  return { targets, ignored };
}
