import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { captureEvent } from "../../bots/index.ts";
import type { DbCommandContext } from "../../cli/campaigns-context.ts";
import { EXIT_SOME_REJECTED, runImportCommand } from "../../cli/import.ts";
import { createPgliteTemplate } from "../../lib/db/index.ts";
import { importRows } from "../../workers/import/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { commandContext } from "./capture.ts";
import { rapport } from "./run.ts";

const database = useTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), "rapport-import-"));
const NOW = Date.UTC(2026, 10, 23, 10);

function context(): DbCommandContext & ReturnType<typeof commandContext> {
  return { ...commandContext(), db: database.db, actor: "cli:test" };
}

const target = () => ({ kind: "postgres" as const, url: database.url });

function file(name: string, content: string | Buffer): string {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
}

function rejectsOf(at: string): Record<string, string>[] {
  return parse(readFileSync(`${at}.rejects.csv`, "utf8"), { columns: true }) as Record<string, string>[];
}

/** Every customer with what an import may touch, by email or id, for before/after comparisons. */
async function snapshot() {
  const customers = await database.db.customer.findMany({ orderBy: { id: "asc" } });
  const counts = {
    identities: await database.db.identity.count(),
    events: await database.db.event.count(),
    purchases: await database.db.purchase.count(),
    consentEvents: await database.db.consentEvent.count(),
    suppressions: await database.db.suppression.count(),
  };
  return { customers, counts };
}

// A spreadsheet saved as "CSV (semicolon)" by a Polish Excel: BOM, `;`, CRLF, quotes around cells with the
// delimiter, a comma and a line break, Polish and Indonesian headers, one bad email and one bad phone.
const SHEET =
  "\ufeffNr klienta;E-mail;Telefon;Imię;Nazwisko;Miasto;Kraj;Zgoda e-mail;Ulubiony kolor\r\n" +
  '1001;Ola@Example.com;601 234 567;Ola;"Nowak; ""Biuro"", Kraków";Kraków;Polska;tak;"zielony\r\nciemny"\r\n' +
  "1002;not-an-email;602 345 678;Jan;Kowalski;Gdańsk;PL;nie;niebieski\r\n" +
  '1003;budi@example.co.id;0812-3456-7890;Budi;;Jakarta;Indonesia;ya;"merah,\r\nputih"\r\n' +
  "1004;ewa@example.com;12;Ewa;Lis;Łódź;PL;;\r\n";

describe("rapport import customers", () => {
  it("loads a Polish spreadsheet CSV (BOM, ;, quoted cells over lines), rejecting bad rows by their line", async () => {
    const at = file("klienci.csv", SHEET);
    const ctx = context();
    const code = await runImportCommand(ctx, target(), { kind: "customers", file: at, country: "PL" });
    expect(code).toBe(EXIT_SOME_REJECTED);
    expect(ctx.out.stdout.text).toMatch(
      /4 read, 2 new, 0 updated, 0 unchanged, 2 rejected \(see .*klienci\.csv\.rejects\.csv\)/,
    );

    const ola = await database.db.customer.findUniqueOrThrow({ where: { externalId: "1001" } });
    expect(ola).toMatchObject({
      email: "ola@example.com",
      phone: "+48601234567",
      name: 'Ola Nowak; "Biuro", Kraków',
      country: "PL",
      source: "import",
      attributes: { ulubiony_kolor: "zielony\nciemny" },
      address: { city: "Kraków", country: "PL" },
    });
    expect(ola.consent).toMatchObject({ email: { status: "granted", via: "import" } });
    // a national number with the row's own country (Indonesia), not --country PL
    const budi = await database.db.customer.findUniqueOrThrow({ where: { externalId: "1003" } });
    expect(budi).toMatchObject({
      phone: "+6281234567890",
      country: "ID",
      name: "Budi",
      address: { city: "Jakarta", country: "ID" },
    });
    expect(budi.attributes).toMatchObject({ ulubiony_kolor: "merah,\nputih" });
    expect(
      await database.db.identity.count({ where: { channel: "email", externalId: "ola@example.com" } }),
    ).toBe(1);
    expect(await database.db.consentEvent.count({ where: { customerId: ola.id, source: "import" } })).toBe(1);

    // line numbers count the lines of the multi-line cells before them
    const rejects = rejectsOf(at);
    expect(rejects).toHaveLength(2);
    expect(rejects).toContainEqual({
      line: "4",
      column: "E-mail",
      value: "not-an-email",
      reason: "expected an email address",
    });
    expect(rejects).toContainEqual(
      expect.objectContaining({
        line: "7",
        column: "Telefon",
        value: "12",
        reason: expect.stringMatching(/phone number/),
      }),
    );
    const audit = await database.db.auditLog.findFirstOrThrow({ where: { action: "import.customers" } });
    expect(audit.data).toMatchObject({ actor: "cli:test", read: 4, inserted: 2, rejected: 2 });
  });

  it("changes nothing when the same file is imported again: same rows, same updatedAt", async () => {
    const at = path.join(dir, "klienci.csv");
    const before = await snapshot();
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "customers", file: at, country: "PL" })).toBe(
      EXIT_SOME_REJECTED,
    );
    expect(ctx.out.stdout.text).toMatch(/4 read, 0 new, 0 updated, 2 unchanged, 2 rejected/);
    expect(await snapshot()).toEqual(before);
  });

  it("merges by customer id, then email, then phone into existing customers, filling only free contacts", async () => {
    const byId = await database.db.customer.create({ data: { externalId: "M-1", name: "Old name" } });
    const byEmail = await database.db.customer.create({
      data: { email: "merge@example.com", name: "Merge" },
    });
    const byPhone = await database.db.customer.create({
      data: { phone: "+48700100200", attributes: { tier: "gold" } },
    });
    const at = file(
      "merge.csv",
      "customer_id,email,phone_number,name,vip\n" +
        "M-1,taken@example.com,,New name,yes\n" + // id wins; its missing email is filled
        ",merge@example.com,+48700100201,,\n" + // email; the phone fills the gap
        ",,700 100 200,Phoned,no\n", // phone (national, --country PL); attributes merged
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "customers", file: at, country: "PL" })).toBe(0);
    expect(ctx.out.stdout.text).toMatch(/3 read, 0 new, 3 updated, 0 unchanged, 0 rejected/);
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: byId.id } })).toMatchObject({
      name: "New name",
      email: "taken@example.com",
      attributes: { vip: "yes" },
    });
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: byEmail.id } })).toMatchObject({
      phone: "+48700100201",
      name: "Merge",
    });
    expect(await database.db.customer.findUniqueOrThrow({ where: { id: byPhone.id } })).toMatchObject({
      name: "Phoned",
      attributes: { tier: "gold", vip: "no" },
    });
    // a second row naming byPhone (by its id this time) is refused rather than applied twice
    const twice = file("twice.csv", "email,phone,name\nmerge@example.com,,A\n,+48700100201,B\n");
    expect(await runImportCommand(context(), target(), { kind: "customers", file: twice })).toBe(
      EXIT_SOME_REJECTED,
    );
    expect(rejectsOf(twice)).toEqual([
      {
        line: "3",
        column: "",
        value: "",
        reason: expect.stringMatching(/names the same customer as line 2/),
      },
    ]);
  });

  it("rejects a key the file already had, naming the first line, and loads the rest", async () => {
    // the repeat of line 2 in the same batch (line 3), and in a later one (line 5: batches of 2 rows)
    const at = file(
      "dups.csv",
      "email,name\nd1@example.com,One\nD1@example.com,Again\nd2@example.com,Two\nd1@example.com,Later\n",
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "customers", file: at, batchSize: 2 })).toBe(
      EXIT_SOME_REJECTED,
    );
    expect(rejectsOf(at)).toEqual([
      {
        line: "3",
        column: "email",
        value: "d1@example.com",
        reason: expect.stringMatching(/the same email as line 2/),
      },
      {
        line: "5",
        column: "",
        value: "",
        reason: expect.stringMatching(/names the same customer as line 2/),
      },
    ]);
    expect((await database.db.customer.findUniqueOrThrow({ where: { email: "d1@example.com" } })).name).toBe(
      "One",
    );
  });

  it("--dry-run counts what would happen and writes nothing, not even an audit row", async () => {
    const at = file(
      "dry.csv.gz",
      gzipSync("email,name\ndry1@example.com,Dry\nola@example.com,Renamed\nbad,x\n"),
    );
    const before = await snapshot();
    const audits = await database.db.auditLog.count();
    const ctx = context();
    const code = await runImportCommand(ctx, target(), { kind: "customers", file: at, dryRun: true });
    expect(code).toBe(EXIT_SOME_REJECTED);
    expect(ctx.out.stdout.text).toMatch(
      /dry run, nothing written: would have 3 read, 1 new, 1 updated, 0 unchanged, 1 rejected/,
    );
    expect(await snapshot()).toEqual(before);
    expect(await database.db.auditLog.count()).toBe(audits);
  });

  it("refuses a file that is not UTF-8, or lacks a contact column, with file:line and exit code 1", async () => {
    const latin = file(
      "latin.csv",
      Buffer.concat([
        Buffer.from("email,name\na@example.com,Ok\nb@example.com,"),
        Buffer.from([0xb3, 0xf3, 0x0a]),
      ]),
    );
    await expect(runImportCommand(context(), target(), { kind: "customers", file: latin })).rejects.toThrow(
      /latin\.csv:3: the file is not UTF-8 text/,
    );
    const nameOnly = file("names.csv", "nama,kota\nBudi,Jakarta\n");
    await expect(
      runImportCommand(context(), target(), { kind: "customers", file: nameOnly }),
    ).rejects.toThrow(
      /names\.csv:1: no column for externalId or email or phone \(the header has: nama, kota\)/,
    );
  });
});

describe("rapport import orders", () => {
  it("stores orders as the events API does, once: an order the API already has is left, the API then sees a duplicate", async () => {
    const via = await captureEvent(
      database.db,
      {
        type: "purchase",
        orderId: "ORD-1",
        occurredAt: "2026-11-01T00:00:00Z",
        customer: { email: "buyer@example.com" },
        total: "50.00",
        currency: "PLN",
        items: [{ sku: "MUG", quantity: 1, price: "50.00" }],
        properties: {},
      },
      new Date(NOW),
    );
    expect(via.kind).toBe("stored");
    const orders = [
      { order_id: "ORD-1", email: "buyer@example.com", total: "50.00", currency: "PLN", date: "2026-11-01" },
      {
        order_id: "ORD-2",
        customer: { email: "buyer@example.com", externalId: "B-9" },
        total: "120.5",
        currency: "pln",
        date: "2026-11-02T10:00:00+01:00",
        items: [{ sku: "BEANS", quantity: 2, price: "60.25" }],
        channel: "pos",
      },
      { order_id: "ORD-3", phone: "+6281234567891", total: "45000", currency: "IDR", date: "20.11.2026" },
      { order_id: "ORD-4", email: "x@example.com", total: "10.5", currency: "JPY", date: "2026-11-03" },
      { order_id: "ORD-5", email: "x@example.com", total: "10", currency: "ZZZ", date: "2026-11-03" },
      { order_id: "ORD-6", email: "x@example.com", total: "ten", currency: "EUR", date: "2026-11-03" },
    ];
    const at = file(
      "orders.jsonl.gz",
      gzipSync(`${orders.map((o) => JSON.stringify(o)).join("\n")}\n{oops\n`),
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "orders", file: at })).toBe(EXIT_SOME_REJECTED);
    expect(ctx.out.stdout.text).toMatch(/7 read, 2 inserted, 1 unchanged, 4 rejected/);
    const rejects = rejectsOf(at);
    expect(rejects.map((r) => [r.line, r.column])).toEqual(
      expect.arrayContaining([
        ["4", "total"],
        ["5", "currency"],
        ["6", "total"],
        ["7", ""],
      ]),
    );
    expect(rejects.find((r) => r.line === "4")!.reason).toMatch(/JPY has no minor units/);

    const two = await database.db.event.findUniqueOrThrow({
      where: { type_externalId: { type: "purchase", externalId: "ORD-2" } },
      include: { purchases: true, customer: true },
    });
    expect(two).toMatchObject({ source: "import", currency: "PLN", properties: { channel: "pos" } });
    expect(two.value?.toString()).toBe("120.5");
    expect(two.occurredAt.toISOString()).toBe("2026-11-02T09:00:00.000Z");
    expect(two.customer.email).toBe("buyer@example.com");
    expect(two.purchases.map((p) => [p.sku, p.quantity, p.unitPrice.toString()])).toEqual([
      ["BEANS", 2, "60.25"],
    ]);
    expect(two.customer.lastPurchaseAt?.toISOString()).toBe("2026-11-02T09:00:00.000Z");
    const three = await database.db.event.findUniqueOrThrow({
      where: { type_externalId: { type: "purchase", externalId: "ORD-3" } },
      include: { customer: true },
    });
    expect(three.customer.phone).toBe("+6281234567891");
    expect(three.occurredAt.toISOString()).toBe("2026-11-20T00:00:00.000Z");
    const one = await database.db.event.findUniqueOrThrow({
      where: { type_externalId: { type: "purchase", externalId: "ORD-1" } },
    });
    expect(one.source).toBe("api");

    // the shop's webhook of an imported order is a duplicate, not a second order
    const again = await captureEvent(
      database.db,
      {
        type: "purchase",
        orderId: "ORD-2",
        customer: { email: "buyer@example.com" },
        total: "120.50",
        currency: "PLN",
        items: [],
        properties: {},
      },
      new Date(NOW),
    );
    expect(again).toMatchObject({ kind: "duplicate", eventId: two.id });
    // and the same file again adds nothing
    const second = context();
    await runImportCommand(second, target(), { kind: "orders", file: at });
    expect(second.out.stdout.text).toMatch(/7 read, 0 inserted, 3 unchanged, 4 rejected/);
  });
});

describe("rapport import events, consent and suppressions", () => {
  it("imports events (other columns as properties) once, even without an event id", async () => {
    const at = file(
      "events.tsv",
      "type\temail\tdate\tscore\nrating\tola@example.com\t2026-11-05 12:00\t5\npage_view\tola@example.com\t2026-11-06\t\n",
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "events", file: at })).toBe(0);
    expect(ctx.out.stdout.text).toMatch(/2 read, 2 inserted/);
    const rating = await database.db.event.findFirstOrThrow({ where: { type: "rating" } });
    expect(rating.properties).toEqual({ score: "5" });
    expect(rating.occurredAt.toISOString()).toBe("2026-11-05T12:00:00.000Z");
    const again = context();
    expect(await runImportCommand(again, target(), { kind: "events", file: at })).toBe(0);
    expect(again.out.stdout.text).toMatch(/2 read, 0 inserted, 2 unchanged/);
  });

  it("records consent as recordConsent does: a change is a ConsentEvent, the same answer or an older one is not", async () => {
    const at = file(
      "consent.csv",
      "email,channel,status,at,source\n" +
        "ola@example.com,email,no,2026-11-23T10:00:00Z,Preference center\n" + // granted by the first import, now denied
        "budi@example.co.id,email,ya,2026-11-23T10:00:00Z,\n" + // already granted: nothing
        "ola@example.com,telegram,granted,2026-11-01,\n" +
        "ola@example.com,fax,granted,2026-11-01,\n",
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "consent", file: at })).toBe(EXIT_SOME_REJECTED);
    expect(ctx.out.stdout.text).toMatch(/4 read, 2 inserted, 1 unchanged, 1 rejected/);
    const ola = await database.db.customer.findUniqueOrThrow({ where: { email: "ola@example.com" } });
    expect(ola.consent).toMatchObject({
      email: { status: "denied", via: "preference_center", at: "2026-11-23T10:00:00.000Z" },
      telegram: { status: "granted" },
    });
    const events = await database.db.consentEvent.findMany({
      where: { customerId: ola.id, channel: "email" },
      orderBy: { createdAt: "asc" },
    });
    expect(events.map((e) => e.status)).toEqual(["granted", "denied"]);
    expect(rejectsOf(at)).toEqual([expect.objectContaining({ line: "5", column: "channel", value: "fax" })]);
  });

  it("adds suppressions once, tied to the customer holding the address", async () => {
    const at = file(
      "stop.csv",
      "address,reason\nola@example.com,unsubscribe\nnobody@example.com,Bounce\nola@example.com,spam\n",
    );
    const ctx = context();
    expect(await runImportCommand(ctx, target(), { kind: "suppressions", file: at })).toBe(
      EXIT_SOME_REJECTED,
    );
    expect(ctx.out.stdout.text).toMatch(/3 read, 2 inserted, 0 unchanged, 1 rejected/);
    const ola = await database.db.customer.findUniqueOrThrow({ where: { email: "ola@example.com" } });
    expect(
      await database.db.suppression.findUniqueOrThrow({
        where: { channel_address: { channel: "email", address: "ola@example.com" } },
      }),
    ).toMatchObject({
      reason: "unsubscribed",
      customerId: ola.id,
    });
  });
});

describe("rapport import as a command", () => {
  it("reads a pipe: summary on stdout, exit code 3 with rejects, 0 when all load", async () => {
    const run = promisify(execFile);
    const sheet = file("piped.csv", "email|name\npipe1@example.com|Pipe\nnope|No\n");
    const rejects = path.join(dir, "piped.rejects.csv");
    const bin = path.resolve("cli/bin.js");
    const shell = (args: string) =>
      run("sh", ["-c", `cat ${sheet} | "${process.execPath}" "${bin}" import customers - ${args}`], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          LOG_LEVEL: "warn",
          DATABASE_URL: database.url,
        },
        timeout: 120_000,
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const first = await shell(`--rejects ${rejects}`);
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(
      /^stdin: 2 read, 1 new, 0 updated, 0 unchanged, 1 rejected \(see .*piped\.rejects\.csv\)/,
    );
    expect(first.stderr).toContain("columns: email → email, name → name");
    expect(readFileSync(rejects, "utf8")).toContain("3,email,nope,expected an email address");

    const good = file("good.csv", "email\npipe1@example.com\n");
    const ok = await rapport(["import", "customers", good], dir, { DATABASE_URL: database.url });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/1 read, 0 new, 0 updated, 1 unchanged, 0 rejected/);

    const missing = await rapport(["import", "customers", "nope.csv"], dir, { DATABASE_URL: database.url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rapport import customers: cannot read nope\.csv: ENOENT\n$/);
  });

  it("says clearly when the embedded database is held by a running server", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "rapport-import-data-"));
    mkdirSync(path.join(data, "pglite"), { recursive: true });
    writeFileSync(path.join(data, "pglite.lock"), String(process.pid));
    const held = await rapport(["import", "customers", path.join(dir, "good.csv")], dir, {
      RAPPORT_DATA_DIR: data,
    });
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(
      /in use by process \d+ .*stop it and run this again, or upload the file in the console/s,
    );
    expect(held.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("importRows on the embedded database (PGlite)", () => {
  it("loads through multi-row INSERTs, with the same counts and a re-import that changes nothing", async () => {
    const template = await createPgliteTemplate();
    const handle = await template.clone();
    try {
      const pglite = { kind: "pglite" as const, pglite: handle.pglite! };
      const csv = () =>
        Buffer.from("email;telepon;nama;kota\nsiti@example.com;0812 3456 7890;Siti;Bandung\nbad;;x;\n");
      const { Readable } = await import("node:stream");
      const rejects: unknown[] = [];
      const first = await importRows(pglite, Readable.from([csv()]), {
        kind: "customers",
        country: "ID",
        onReject: (r) => rejects.push(r),
      });
      expect(first).toMatchObject({ read: 2, inserted: 1, rejected: 1 });
      expect(rejects).toEqual([expect.objectContaining({ line: 3, column: "email" })]);
      const siti = await handle.db.customer.findUniqueOrThrow({ where: { email: "siti@example.com" } });
      expect(siti).toMatchObject({ phone: "+6281234567890", name: "Siti", address: { city: "Bandung" } });
      const second = await importRows(pglite, Readable.from([csv()]), { kind: "customers", country: "ID" });
      expect(second).toMatchObject({ inserted: 0, updated: 0, unchanged: 1 });
      expect((await handle.db.customer.findUniqueOrThrow({ where: { id: siti.id } })).updatedAt).toEqual(
        siti.updatedAt,
      );
      const dry = await importRows(pglite, Readable.from([Buffer.from("email\nnew@example.com\n")]), {
        kind: "customers",
        dryRun: true,
      });
      expect(dry).toMatchObject({ inserted: 1, dryRun: true });
      expect(await handle.db.customer.count()).toBe(1);
      // a dry run over several batches is one transaction (PGlite's do not nest): line 4 finds line 2's customer
      const repeats = () =>
        Readable.from([Buffer.from("email\nr1@example.com\nr2@example.com\nR1@example.com\n")]);
      const counted = (s: typeof first) => [s.inserted, s.updated, s.unchanged, s.rejected];
      const dryRepeats = await importRows(pglite, repeats(), {
        kind: "customers",
        dryRun: true,
        batchSize: 1,
      });
      expect(await handle.db.customer.count()).toBe(1);
      const realRepeats = await importRows(pglite, repeats(), { kind: "customers", batchSize: 1 });
      expect(counted(dryRepeats)).toEqual([2, 0, 0, 1]);
      expect(counted(realRepeats)).toEqual(counted(dryRepeats));
    } finally {
      await handle.close();
      await template.close();
    }
  }, 90_000);
});
