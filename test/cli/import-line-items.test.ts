import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import type { DbCommandContext } from "../../cli/campaigns-context.ts";
import { EXIT_SOME_REJECTED, runImportCommand } from "../../cli/import.ts";
import { mapColumns } from "../../workers/import/columns.ts";
import { type ImportSummary, importRows, previewImport, type Reject } from "../../workers/import/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { commandContext } from "./capture.ts";

// Orders exported one row per line item, and dry runs that must count what the real import then does.
const database = useTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "rapport-import-items-"));
const target = () => ({ kind: "postgres" as const, url: database.url });

function context(): DbCommandContext & ReturnType<typeof commandContext> {
  return { ...commandContext(), db: database.db, actor: "cli:test" };
}

function file(name: string, content: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
}

const rejectsOf = (at: string) =>
  parse(readFileSync(`${at}.rejects.csv`, "utf8"), { columns: true }) as Record<string, string>[];

/** Shopify's orders export header (its columns in Shopify's order; fewer of the billing/shipping ones). */
const SHOPIFY = [
  "Name",
  "Email",
  "Financial Status",
  "Paid at",
  "Accepts Marketing",
  "Currency",
  "Subtotal",
  "Total",
  "Discount Code",
  "Created at",
  "Lineitem quantity",
  "Lineitem name",
  "Lineitem price",
  "Lineitem compare at price",
  "Lineitem sku",
  "Lineitem requires shipping",
  "Billing Name",
  "Billing City",
  "Billing Phone",
  "Notes",
  "Id",
  "Phone",
] as const;
type ShopifyRow = Partial<Record<(typeof SHOPIFY)[number], string>>;
const shopifyCsv = (rows: ShopifyRow[]) =>
  stringify([[...SHOPIFY], ...rows.map((r) => SHOPIFY.map((c) => r[c] ?? ""))]);

/** An order's first row, with the order's cells (later rows of it leave them empty, as Shopify does). */
const first = (name: string, email: string, total: string, at: string, item: ShopifyRow): ShopifyRow => ({
  Name: name,
  Email: email,
  "Financial Status": "paid",
  "Paid at": at,
  "Accepts Marketing": "no",
  Currency: "PLN",
  Subtotal: total,
  Total: total,
  "Created at": at,
  "Billing Name": "Ola Nowak",
  "Billing City": "Kraków",
  "Billing Phone": "601 234 567",
  Id: `45${name.slice(1)}`,
  ...item,
});
const item = (name: string, quantity: string, price: string, sku: string, order: string): ShopifyRow => ({
  Name: order,
  "Lineitem quantity": quantity,
  "Lineitem name": name,
  "Lineitem price": price,
  "Lineitem sku": sku,
  "Lineitem requires shipping": "true",
});

async function orderOf(orderId: string) {
  return database.db.event.findUnique({
    where: { type_externalId: { type: "purchase", externalId: orderId } },
    include: { purchases: { orderBy: { sku: "asc" } }, customer: true },
  });
}

describe("rapport import orders, one row per line item", () => {
  it("reads Shopify's orders export: an order's rows are one order with its items, a batch never cuts one", async () => {
    const rows: ShopifyRow[] = [
      first(
        "#1000",
        "solo@example.com",
        "20.00",
        "2026-11-02 10:00:00 +0100",
        item("Mug", "1", "20.00", "MUG", "#1000"),
      ),
      // three rows, the later ones with only the item (and the email, Shopify repeats it)
      first(
        "#1001",
        "ola@example.com",
        "155.00",
        "2026-11-03 09:50:26 +0100",
        item("Beans 1 kg", "2", "60.00", "BEANS", "#1001"),
      ),
      { ...item("Filter papers", "1", "15.00", "", "#1001"), Email: "ola@example.com" },
      { ...item("Grinder brush", "2", "10.00", "BRUSH", "#1001"), "Created at": "2026-11-03 09:50:26 +0100" },
      first("#1002", "jan@example.com", "30.50", "2026-11-04", item("Tea", "1", "30.50", "TEA", "#1002")),
      // one order, two currencies: none of its rows loads
      first("#1003", "ewa@example.com", "40.00", "2026-11-05", item("Cup", "1", "20.00", "CUP", "#1003")),
      { ...item("Saucer", "1", "20.00", "SAUCER", "#1003"), Currency: "EUR" },
    ];
    const at = file("orders_export.csv", shopifyCsv(rows));
    const ctx = context();
    // batches of 2 rows: #1001's three rows (lines 3-5) stay together in the first batch
    const code = await runImportCommand(ctx, target(), { kind: "orders", file: at, batchSize: 2 });
    expect(code).toBe(EXIT_SOME_REJECTED);
    expect(ctx.out.stdout.text).toMatch(
      /7 read, 3 inserted, 0 unchanged, 2 rejected .*3 new customers, 2 rows were more items of an order/,
    );
    expect(ctx.out.stderr.text).toMatch(
      /Name → orderId, Email → email, .*Lineitem sku → sku, .*Billing Name → name, .*Id → properties\.id/,
    );

    const order = await orderOf("#1001");
    expect(order).toMatchObject({
      source: "import",
      currency: "PLN",
      customer: { email: "ola@example.com", name: "Ola Nowak" },
    });
    expect(order!.value?.toString()).toBe("155");
    expect(order!.occurredAt.toISOString()).toBe("2026-11-03T08:50:26.000Z");
    expect(order!.properties).toMatchObject({
      financial_status: "paid",
      id: "451001",
      billing_phone: "601 234 567",
    });
    expect(
      order!.purchases.map((p) => [p.sku, p.name, p.quantity, p.unitPrice.toString(), p.currency]),
    ).toEqual([
      ["BEANS", "Beans 1 kg", 2, "60", "PLN"],
      ["BRUSH", "Grinder brush", 2, "10", "PLN"],
      // no sku: its name stands for it
      ["Filter papers", "Filter papers", 1, "15", "PLN"],
    ]);
    expect((await orderOf("#1000"))!.purchases).toHaveLength(1);
    expect((await orderOf("#1002"))!.purchases.map((p) => p.sku)).toEqual(["TEA"]);
    expect(await orderOf("#1003")).toBeNull();
    expect(rejectsOf(at)).toEqual([
      {
        line: "8",
        column: "Currency",
        value: "EUR",
        reason: "order #1003 has PLN on line 7: the rows of one order must agree",
      },
      { line: "7", column: "", value: "", reason: "order #1003 is not loaded: see line 8" },
    ]);

    // the same file again: nothing new, no item twice
    const purchases = await database.db.purchase.count();
    const again = context();
    await runImportCommand(again, target(), { kind: "orders", file: at, batchSize: 2 });
    expect(again.out.stdout.text).toMatch(/7 read, 0 inserted, 3 unchanged, 2 rejected/);
    expect(await database.db.purchase.count()).toBe(purchases);
  });

  it("rejects an order's rows that disagree on its customer, and a repeated row, naming line and column", async () => {
    const at = file(
      "sheet.csv",
      "order_id,email,total,currency,date,sku,quantity,price\n" +
        "S-1,a@example.com,30,PLN,2026-11-01,A,1,10\n" +
        "S-1,b@example.com,30,PLN,2026-11-01,B,1,20\n" + // another customer: the order is refused
        "S-2,c@example.com,30,PLN,2026-11-01,A,1,10\n" +
        "S-2,,,,,B,1,20\n" +
        "S-2,c@example.com,30,pln,2026-11-01T00:00:00Z,B,1,20\n" + // the same row again (same values written otherwise)
        "S-3,d@example.com,9.5,PLN,2026-11-01,C,1,9.50\n" +
        "S-2,c@example.com,30.00,PLN,2026-11-01,C,2,5\n", // further down, same batch: joins S-2
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "orders", file: at })).toBe(EXIT_SOME_REJECTED);
    expect(ctx.out.stdout.text).toMatch(/7 read, 2 inserted, 0 unchanged, 3 rejected/);
    expect(rejectsOf(at)).toEqual([
      {
        line: "3",
        column: "email",
        value: "b@example.com",
        reason: "order S-1 has a@example.com on line 2: the rows of one order must agree",
      },
      { line: "2", column: "", value: "", reason: "order S-1 is not loaded: see line 3" },
      {
        line: "6",
        column: "order_id",
        value: "S-2",
        reason: "the same item of order S-2 as line 5: a repeated row",
      },
    ]);
    expect(await orderOf("S-1")).toBeNull();
    expect((await orderOf("S-2"))!.purchases.map((p) => [p.sku, p.quantity])).toEqual([
      ["A", 1],
      ["B", 1],
      ["C", 2],
    ]);
  });

  it("an order's rows far apart, in another batch, are refused with the reason; one row per order with items still loads", async () => {
    const at = file(
      "apart.csv",
      "order_id,email,total,currency,date,sku,price\n" +
        "F-1,f@example.com,30,PLN,2026-11-01,A,10\n" +
        "F-2,f@example.com,10,PLN,2026-11-01,B,10\n" +
        "F-1,f@example.com,30,PLN,2026-11-01,C,20\n",
    );
    const ctx = context();
    await runImportCommand(ctx, target(), { kind: "orders", file: at, batchSize: 2 });
    expect(rejectsOf(at)).toEqual([
      {
        line: "4",
        column: "order_id",
        value: "F-1",
        reason:
          "the same order id as line 2, too far before it to be one order: the rows of an order go together",
      },
    ]);
    expect((await orderOf("F-1"))!.purchases.map((p) => p.sku)).toEqual(["A"]);

    // JSON lines, one order a line with its items; the same order again is refused as before
    const order = {
      order_id: "J-1",
      email: "j@example.com",
      total: "30",
      currency: "PLN",
      date: "2026-11-01",
      items: [
        { sku: "A", quantity: 1, price: "10" },
        { sku: "B", quantity: 2, price: "10" },
      ],
    };
    const jsonl = file("orders.jsonl", `${JSON.stringify(order)}\n${JSON.stringify(order)}\n`);
    const second = context();
    await runImportCommand(second, target(), { kind: "orders", file: jsonl });
    expect(second.out.stdout.text).toMatch(/2 read, 1 inserted, 0 unchanged, 1 rejected/);
    expect((await orderOf("J-1"))!.purchases.map((p) => [p.sku, p.quantity])).toEqual([
      ["A", 1],
      ["B", 2],
    ]);
  });

  it("previews a later row of an order with the order's cells of its first row, as the import reads it", async () => {
    const csv = shopifyCsv([
      first("#2001", "p@example.com", "25.00", "2026-11-03", item("Mug", "1", "20.00", "MUG", "#2001")),
      item("Spoon", "1", "5.00", "SPOON", "#2001"),
      item("Lid", "1", "5.00", "LID", "#2002"), // an order without its first row: no currency, total, date
    ]);
    const preview = await previewImport(Readable.from([Buffer.from(csv)]), { kind: "orders" });
    expect(preview.rows.map((r) => [r.line, r.ok])).toEqual([
      [2, true],
      [3, true],
      [4, false],
    ]);
  });

  it("maps WooCommerce's one-row-per-item export columns", () => {
    const headers = [
      "order_id",
      "order_number",
      "order_date",
      "status",
      "order_total",
      "order_currency",
      "customer_id",
      "billing_first_name",
      "billing_email",
      "billing_phone",
      "item_name",
      "item_sku",
      "item_quantity",
      "item_price",
      "item_total",
    ];
    const fields = mapColumns("orders", headers).targets.map((t) => ("field" in t ? t.field : "-"));
    expect(Object.fromEntries(headers.map((h, i) => [h, fields[i]]))).toMatchObject({
      order_id: "orderId",
      order_date: "occurredAt",
      order_total: "total",
      order_currency: "currency",
      customer_id: "externalId",
      billing_email: "email",
      item_name: "itemName",
      item_sku: "sku",
      item_quantity: "quantity",
      item_price: "price",
      item_total: "-",
    });
    // without line item columns, Name is the customer's
    expect(mapColumns("orders", ["Name", "Order", "Total"]).targets[0]).toEqual({ field: "name" });
  });
});

/** Rows of every table an import writes. */
async function counts() {
  const db = database.db;
  return {
    customers: await db.customer.count(),
    identities: await db.identity.count(),
    events: await db.event.count(),
    purchases: await db.purchase.count(),
    consent: await db.consentEvent.count(),
  };
}

const summaryOf = (s: ImportSummary) => ({
  inserted: s.inserted,
  updated: s.updated,
  unchanged: s.unchanged,
  rejected: s.rejected,
  customersCreated: s.customersCreated,
  joined: s.joined,
});

describe("--dry-run counts what the import then does", () => {
  const run = async (kind: "customers" | "orders", csv: string, dryRun: boolean) => {
    const rejects: Reject[] = [];
    const summary = await importRows(target(), Readable.from([Buffer.from(csv)]), {
      kind,
      country: "PL",
      dryRun,
      batchSize: 2, // every repeat below is a batch or more after its first line
      onReject: (r) => rejects.push(r),
    });
    return { summary: summaryOf(summary), rejects: rejects.sort((a, b) => a.line - b.line) };
  };

  const FILES: [string, "customers" | "orders", string][] = [
    [
      "the same email, a batch later",
      "customers",
      "email,name\nrep1@example.com,A\nrep2@example.com,B\nrep3@example.com,C\nREP1@example.com,A again\n",
    ],
    [
      "one phone, national then E.164",
      "customers",
      "phone,name\n700 200 300,P\n+48700200301,Q\n+48700200300,P again\n",
    ],
    [
      "a customer id, then its email with another key",
      "customers",
      "customer_id,email,phone\nX-7,x7@example.com,\nX-8,,700200310\n,x7@example.com,700200311\n,x8@example.com,700200310\n",
    ],
    [
      "line items, and customers made by an earlier batch's orders",
      "orders",
      "order_id,email,phone,total,currency,date,sku,price\n" +
        "D-1,dry@example.com,,30,PLN,2026-11-01,A,10\n" +
        "D-1,,,,,,B,20\n" +
        "D-1,,,,,,C,0\n" +
        "D-2,,700200320,5,PLN,2026-11-02,A,5\n" +
        "D-3,dry@example.com,700200320,5,PLN,2026-11-03,A,5\n" +
        "D-4,dry@example.com,,5,EUR,2026-11-03,A,5\n" +
        "D-4,dry@example.com,,5,PLN,2026-11-03,B,5\n" +
        "D-5,dry@example.com,,5,PLN,2026-11-04,A,5\n", // the customer line 2 made, 3 batches before
    ],
  ];

  for (const [name, kind, csv] of FILES) {
    it(`${name}: the same summary and rejects, and the dry run writes nothing`, async () => {
      const before = await counts();
      const dry = await run(kind, csv, true);
      expect(await counts()).toEqual(before);
      const real = await run(kind, csv, false);
      expect(dry).toEqual(real);
      expect(real.summary.rejected).toBeGreaterThan(0);
      expect(await counts()).not.toEqual(before);
    });
  }
});
