import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { captureEvent } from "../../bots/index.ts";
import type { DbCommandContext } from "../../cli/campaigns-context.ts";
import { runCustomerExport, runExport } from "../../cli/export.ts";
import { useTestDatabase } from "../support/db.ts";
import { commandContext } from "./capture.ts";
import { rapport } from "./run.ts";

const database = useTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "rapport-export-"));

function context(): DbCommandContext & ReturnType<typeof commandContext> {
  return { ...commandContext(), db: database.db, actor: "cli:test" };
}

async function purchase(email: string, orderId: string, total: string, currency: string, name?: string) {
  return captureEvent(
    database.db,
    {
      type: "purchase",
      orderId,
      occurredAt: "2026-11-20T10:00:00Z",
      customer: { email, ...(name !== undefined && { name }) },
      total,
      currency,
      items: [{ sku: "BEANS", quantity: 1, price: total }],
      properties: {},
    },
    new Date("2026-11-20T10:00:00Z"),
  );
}

let ids: Record<string, string>;

beforeAll(async () => {
  // a name a naive CSV writer breaks: a comma, quotes and a line break
  const ola = await purchase("ola@example.com", "PL-1", "120.00", "PLN", 'Nowak, "Ola"\nbiuro');
  await purchase("ola@example.com", "PL-2", "30.00", "PLN");
  // one Rp 45 000 order, fully refunded: no order, nothing spent
  const siti = await purchase("siti@example.com", "ID-1", "45000", "IDR", "Siti");
  await captureEvent(
    database.db,
    {
      type: "refund",
      id: "ID-1-R",
      customer: { email: "siti@example.com" },
      value: "45000",
      currency: "IDR",
      properties: { orderId: "ID-1" },
    },
    new Date("2026-11-21T10:00:00Z"),
  );
  // five orders: a VIP of the shipped segments.yaml (orders >= 5)
  let vip = "";
  for (let i = 0; i < 5; i++)
    vip = (await purchase("budi@example.com", `V-${i}`, "10.00", "EUR", "Budi")).customerId;
  const plain = await database.db.customer.create({ data: { email: "emma@example.com", name: "Emma" } });
  // merged away: its rows live on the survivor, so it is not exported as a customer of its own
  await database.db.customer.create({
    data: { email: "old@example.com", name: "Old", mergedIntoId: plain.id },
  });
  ids = { ola: ola.customerId, siti: siti.customerId, vip, plain: plain.id };
});

describe("rapport export", () => {
  it("writes every customer as CSV a page at a time, quoting what needs it, money per currency less refunds", async () => {
    const ctx = context();
    const rows = await runExport(ctx, { kind: "customers", pageSize: 2 });
    expect(rows).toBe(4);
    const records = parse(ctx.out.stdout.text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(4);
    const byEmail = new Map(records.map((r) => [r.email, r]));
    expect(byEmail.has("old@example.com")).toBe(false);
    const ola = byEmail.get("ola@example.com")!;
    expect(ola.id).toBe(ids.ola);
    expect(ola.name).toBe('Nowak, "Ola"\nbiuro');
    expect(ola.orders).toBe("2");
    expect(JSON.parse(ola.spent!)).toEqual({ PLN: "150.00" });
    const siti = byEmail.get("siti@example.com")!;
    expect(siti.orders).toBe("0");
    expect(JSON.parse(siti.spent!)).toEqual({ IDR: "0.00" });
    expect(byEmail.get("emma@example.com")!.spent).toBe("");
    // ordered by id, each exactly once across the pages
    expect(records.map((r) => r.id)).toEqual([...records.map((r) => r.id!)].sort());
    expect(ctx.out.stderr.text).toContain("4 customers exported");
  });

  it("writes a segment's members, and only them, to a gzipped file, with an audit row", async () => {
    const ctx = context();
    const out = path.join(dir, "vip.csv.gz");
    expect(await runExport(ctx, { kind: "segment", segment: "vip", out })).toBe(1);
    const records = parse(gunzipSync(readFileSync(out)).toString("utf8"), { columns: true });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id: ids.vip, email: "budi@example.com", orders: "5" });
    const audit = await database.db.auditLog.findFirstOrThrow({ where: { action: "export.segment" } });
    expect(audit.data).toMatchObject({ actor: "cli:test", rows: 1, segment: "vip", to: out });
  });

  it("writes orders as JSON lines with what was refunded and their lines", async () => {
    const ctx = context();
    expect(await runExport(ctx, { kind: "orders", format: "jsonl" })).toBe(8);
    const lines = ctx.out.stdout.text.trimEnd().split("\n");
    expect(lines).toHaveLength(8);
    const orders = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const refunded = orders.find((o) => o.order_id === "ID-1")!;
    expect(refunded).toMatchObject({ customer_id: ids.siti, currency: "IDR", refunded: "45000.00" });
    expect(refunded.items).toEqual([{ sku: "BEANS", name: null, quantity: 1, unitPrice: "45000.00" }]);
    expect(orders.find((o) => o.order_id === "PL-1")).toMatchObject({ total: "120.00", refunded: "0" });
  });

  it("refuses an unknown segment, naming the ones there are, and leaves no file behind", async () => {
    const ctx = context();
    const out = path.join(dir, "nope.csv");
    await expect(runExport(ctx, { kind: "segment", segment: "vipp", out })).rejects.toThrow(
      /no segment "vipp" in .*segments\.yaml \(there are: .*vip/,
    );
    expect(() => readFileSync(out)).toThrow();
    expect(() => readFileSync(`${out}.partial`)).toThrow();
  });

  it("exports one customer's data by email (GDPR access request), audited", async () => {
    const ctx = context();
    await runCustomerExport(ctx, "Ola@Example.com", undefined);
    const document = JSON.parse(ctx.out.stdout.text);
    expect(document.customer.id).toBe(ids.ola);
    expect(document.events).toHaveLength(2);
    expect(
      await database.db.auditLog.count({ where: { action: "customer.export", targetId: ids.ola } }),
    ).toBe(1);
    await expect(runCustomerExport(context(), "nobody@example.com", undefined)).rejects.toThrow(
      /no customer nobody@example.com/,
    );
  });

  it("runs as a command: a piped CSV on stdout, progress and errors on stderr", async () => {
    const ok = await rapport(["export", "customers", "--format", "csv"], process.cwd(), {
      DATABASE_URL: database.url,
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout.split("\n")[0]).toBe(
      "id,external_id,name,email,phone,locale,timezone,country,address_line1,address_line2,postal_code,city,region,source,email_consent,orders,spent,last_purchase_at,last_interaction_at,created_at,consent,attributes",
    );
    expect(parse(ok.stdout, { columns: true })).toHaveLength(4);
    expect(ok.stderr).toContain("4 customers exported");
    const bad = await rapport(["export", "customers", "--format", "xml"], process.cwd(), {
      DATABASE_URL: database.url,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--format.*xml.*csv, jsonl/s);
  });
});
