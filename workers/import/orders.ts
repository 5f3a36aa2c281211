/**
 * Orders exported one row per line item (Shopify's orders export, WooCommerce's "one row per item", a
 * spreadsheet): the rows of one order id in a batch become one staged order with all their items. A later row
 * may leave the order's cells empty (Shopify fills them on the first row only: {@link Fields.inherit}); the
 * ones it fills must agree with the first row, else none of the order's rows is loaded. The batcher
 * (index.ts) never cuts a batch between two rows of one order, so an order written on adjacent rows is
 * always whole; one whose rows are far apart, in different batches, has its later rows rejected by the
 * staging table's duplicate check (load.ts).
 */
import type { ColumnMapping } from "./columns.ts";
import type { RawRecord } from "./input.ts";
import { type Cell, type Fields, type Reject, type RowOptions, stageRecord } from "./rows.ts";

/** Cells of a staged order (STAGING_COLUMNS.orders) that are the order's, with the field each comes from. */
const ORDER_CELLS = [
  { at: 2, field: "externalId" },
  { at: 3, field: "email" },
  { at: 4, field: "phone" },
  { at: 6, field: "total" },
  { at: 7, field: "currency" },
  { at: 8, field: "occurredAt" },
] as const;
const NAME = 5;
const ITEMS = 9;
const PROPERTIES = 10;
/** As PurchaseEvent allows. */
const MAX_ITEMS = 1_000;

/** Whether two staged cells of `field` say the same: amounts and times compared as values. */
function same(field: string, a: Cell, b: Cell): boolean {
  if (field === "total") return Number(a) === Number(b);
  if (field === "occurredAt") return Date.parse(String(a)) === Date.parse(String(b));
  return a === b;
}

interface Order {
  id: string;
  /** The first row's line (the staged row's) and fields (what later rows inherit). */
  line: number;
  fields: Fields;
  row?: Cell[];
  items: string[];
  /** Each item (as JSON) and the line it came from: the same item again is a repeated line. */
  itemLines: Map<string, number>;
  properties: Record<string, unknown>;
  /** Lines joined to the order after the first. */
  lines: number[];
  /** Why none of its rows loads: the first line at fault. */
  failedAt?: number;
}

/** The orders of one batch, by order id, in the order of their first rows. */
export class OrderBatch {
  private readonly orders = new Map<string, Order>();
  /** Rows in the batch (an order's rows each count). */
  rows = 0;
  /** The last row's order id: the batch is not cut before a row of the same order. */
  lastId: string | undefined;

  constructor(
    private readonly options: RowOptions,
    private readonly reject: (reject: Reject) => void,
  ) {}

  /** Whether the batch is full before `record`: `size` rows, and `record` does not continue the last row's order. */
  full(record: RawRecord, mapping: ColumnMapping, size: number): boolean {
    return this.rows >= size && orderIdOf(record, mapping) !== this.lastId;
  }

  /**
   * Checks one record and adds it to its order.
   * @returns the number of rows it rejected (itself, or every row of its order when it spoils the order).
   */
  add(record: RawRecord, mapping: ColumnMapping): number {
    this.rows++;
    const id = orderIdOf(record, mapping);
    this.lastId = id;
    const order = id === undefined ? undefined : this.orders.get(id);
    const staged = stageRecord("orders", record, mapping, this.options, order?.fields);
    if (id === undefined || (!order && staged.rejects && !staged.fields)) {
      for (const r of staged.rejects ?? []) this.reject(r);
      return 1;
    }
    if (!order) {
      const first: Order = {
        id,
        line: record.line,
        fields: staged.fields!,
        items: [],
        itemLines: new Map(),
        properties: {},
        lines: [],
      };
      this.orders.set(id, first);
      if (staged.rejects) {
        first.failedAt = record.line;
        for (const r of staged.rejects) this.reject(r);
        return 1;
      }
      first.row = staged.row;
      this.addItems(first, staged.row, record.line);
      Object.assign(first.properties, JSON.parse(String(staged.row[PROPERTIES])));
      return 0;
    }
    if (staged.rejects) return this.spoil(order, record.line, staged.rejects);
    return this.join(order, staged.row, record.line, staged.fields!);
  }

  /** Another row of an order: its order cells agree with the first row's, and it adds at least one item. */
  private join(order: Order, row: Cell[], line: number, fields: Fields): number {
    if (order.failedAt !== undefined) return this.spoil(order, line, []);
    const first = order.row!;
    for (const { at, field } of ORDER_CELLS) {
      if (first[at] === null || row[at] === null || same(field, first[at]!, row[at]!)) continue;
      return this.spoil(order, line, [
        {
          line,
          column: fields.column(field),
          value: String(row[at]),
          reason: `order ${order.id} has ${first[at]} on line ${order.line}: the rows of one order must agree`,
        },
      ]);
    }
    const before = order.items.length;
    this.addItems(order, row, line);
    if (order.items.length === before) {
      const item = JSON.parse(String(row[ITEMS])) as unknown[];
      const again = item.length > 0 ? order.itemLines.get(JSON.stringify(item[0])) : undefined;
      this.reject({
        line,
        column: fields.column("orderId"),
        value: order.id,
        reason:
          again === undefined
            ? `the same order id as line ${order.line}, with no item of its own: a file names each order once`
            : `the same item of order ${order.id} as line ${again}: a repeated row`,
      });
      return 1;
    }
    if (order.items.length > MAX_ITEMS)
      return this.spoil(order, line, [
        { line, column: "", value: "", reason: `order ${order.id} has more than ${MAX_ITEMS} items` },
      ]);
    // cells the first row left empty, from a later one
    for (const { at } of ORDER_CELLS) first[at] ??= row[at]!;
    first[NAME] ??= row[NAME]!;
    order.properties = { ...JSON.parse(String(row[PROPERTIES])), ...order.properties };
    order.lines.push(line);
    return 0;
  }

  private addItems(order: Order, row: Cell[], line: number): void {
    for (const item of JSON.parse(String(row[ITEMS])) as unknown[]) {
      const key = JSON.stringify(item);
      if (order.itemLines.has(key)) continue;
      order.itemLines.set(key, line);
      order.items.push(key);
    }
  }

  /** None of the order's rows loads: `line`'s own reasons, and a pointer to it for the others. */
  private spoil(order: Order, line: number, rejects: Reject[]): number {
    for (const r of rejects) this.reject(r);
    if (order.failedAt !== undefined) {
      if (rejects.length === 0) this.reject(notLoaded(order, line, order.failedAt));
      return 1;
    }
    order.failedAt = line;
    for (const earlier of [order.line, ...order.lines]) this.reject(notLoaded(order, earlier, line));
    return 1 + 1 + order.lines.length;
  }

  /**
   * The batch's orders as staging rows (one an order, at its first line), emptying the batch.
   * @returns the rows, and per staged line the later lines joined to it.
   */
  take(): { rows: Cell[][]; joined: Map<number, number[]> } {
    const rows: Cell[][] = [];
    const joined = new Map<number, number[]>();
    for (const order of this.orders.values()) {
      if (order.failedAt !== undefined || !order.row) continue;
      const row = order.row;
      row[ITEMS] = `[${order.items.join(",")}]`;
      row[PROPERTIES] = JSON.stringify(order.properties);
      rows.push(row);
      if (order.lines.length > 0) joined.set(order.line, order.lines);
    }
    this.orders.clear();
    this.rows = 0;
    return { rows, joined };
  }
}

/** The order id of a record, if it has one. */
export function orderIdOf(record: RawRecord, mapping: ColumnMapping): string | undefined {
  if ("error" in record) return undefined;
  const at = mapping.targets.findIndex((t) => "field" in t && t.field === "orderId");
  const value = at < 0 ? undefined : record.values[at];
  const id = typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : undefined;
  return id === "" ? undefined : id;
}

function notLoaded(order: Order, line: number, at: number): Reject {
  return { line, column: "", value: "", reason: `order ${order.id} is not loaded: see line ${at}` };
}
