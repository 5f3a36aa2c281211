import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Worker } from "bullmq";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerConsole } from "../../console/index.ts";
import { systemClock } from "../../lib/clock.ts";
import { createHttpServer } from "../../lib/http.ts";
import { silentLogger } from "../../lib/logger.ts";
import {
  closeQueues,
  importJobId,
  QUEUE_IMPORT,
  type QueueContext,
  queueFor,
  startImportWorker,
} from "../../workers/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { useTestRedis } from "../support/redis.ts";
import { waitFor } from "../support/wait.ts";
import { sseEvents, uploadImport } from "./import-support.ts";
import { addStaff, type Browser, getPage, postForm, signIn, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
const redis = useTestRedis();
const MAX_BYTES = 256 * 1024;
let dir: string;
let queues: QueueContext;
let http: FastifyInstance;
let marketer: Browser;
let admin: Browser;
let agent: Browser;
const workers: Worker[] = [];
/** The import the first test completes, with rejects. */
let imported = "";

/** A spreadsheet's "CSV (semicolon)" export: BOM, `;`, Polish headers, one bad email on line 4. */
const SPREADSHEET = Buffer.from(
  "\uFEFFImię;Nazwisko;E-mail;Telefon;Miasto\r\n" +
    "Zofia;Importowska;zofia.importowska@example.com;601 234 567;Kraków\r\n" +
    "Jan;Importowski;jan.importowski@example.com;602 345 678;Gdańsk\r\n" +
    "Ewa;Zła;ewa(at)example;603 456 789;Łódź\r\n",
  "utf8",
);

const uploads = () => readdirSync(dir);
const startWorker = () => {
  const worker = startImportWorker({
    db: database.db,
    target: { kind: "postgres", url: database.url },
    log: silentLogger,
    connection: redis.redis,
    prefix: redis.prefix,
  });
  workers.push(worker);
  return worker;
};
const idOf = (location: unknown) => /\/console\/import\/([0-9a-f-]{36})/.exec(String(location))?.[1] ?? "";

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "rapport-imports-"));
  queues = { connection: redis.redis, prefix: redis.prefix };
  // the console as startConsole builds it, with the queues and the upload directory
  http = createHttpServer({ log: silentLogger });
  await registerConsole(http, {
    db: database.db,
    clock: systemClock,
    log: silentLogger,
    publicUrl: "http://localhost:3000",
    brandName: "Toko Rapport",
    queues,
    imports: { dir, maxBytes: MAX_BYTES, keepDays: 7 },
  });
  await http.ready();
  const emails = {
    marketer: uniqueEmail("marketer"),
    admin: uniqueEmail("admin"),
    agent: uniqueEmail("agent"),
  };
  await addStaff(database.db, emails.marketer, "marketer");
  await addStaff(database.db, emails.admin, "admin");
  await addStaff(database.db, emails.agent, "agent");
  marketer = await signIn(http, emails.marketer);
  admin = await signIn(http, emails.admin);
  agent = await signIn(http, emails.agent);
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await http?.close();
  await closeQueues(queues);
  rmSync(dir, { recursive: true, force: true });
});

describe("the console's import", () => {
  it("uploads a spreadsheet CSV, previews the detected fields, imports it in a job, and offers the rejects", async () => {
    const page = await getPage(http, marketer, "/console/import");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('enctype="multipart/form-data"');

    const uploaded = await uploadImport(http, marketer, { filename: "klienci.csv", content: SPREADSHEET });
    expect(uploaded.statusCode).toBe(303);
    const id = idOf(uploaded.headers.location);
    expect(uploaded.headers.location).toBe(`/console/import/${id}/preview`);
    expect(uploads()).toContain(id);

    const preview = await getPage(http, marketer, `/console/import/${id}/preview`);
    expect(preview.statusCode).toBe(200);
    for (const [column, target] of [
      ["Imię", "firstName"],
      ["Nazwisko", "lastName"],
      ["E-mail", "email"],
      ["Telefon", "phone"],
      ["Miasto", "city"],
    ])
      expect(preview.body).toMatch(
        new RegExp(`${column}</span>\\s*<span class="import-target" data-target="${target}">`),
      );
    expect(preview.body).toContain("zofia.importowska@example.com");
    expect(preview.body.match(/<tr data-line="\d+"/g)).toHaveLength(3);
    expect(preview.body).toMatch(/<tr data-line="4" class="is-rejected">/);

    const started = await postForm(http, marketer, `/console/import/${id}/start`, {
      _csrf: marketer.csrf,
      country: "pl",
      map_4: "",
    });
    expect(started.statusCode).toBe(303);
    expect(started.headers.location).toBe(`/console/import/${id}`);
    const waiting = await getPage(http, marketer, `/console/import/${id}`);
    expect(waiting.body).toContain('http-equiv="refresh"');

    // the stream hears the waiting job, then the end, once a worker runs it
    const stream = http.inject({
      url: `/console/import/${id}/events`,
      remoteAddress: marketer.ip,
      headers: { cookie: marketer.cookie, accept: "text/event-stream" },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    startWorker();
    const events = sseEvents((await stream).body);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toMatchObject({ event: "progress", data: { state: "queued" } });
    expect(events.at(-1)).toMatchObject({
      event: "done",
      data: { state: "done", summary: { read: 3, inserted: 2, rejected: 1 }, hasRejects: true },
    });

    const done = await getPage(http, marketer, `/console/import/${id}`);
    expect(done.body).not.toContain('http-equiv="refresh"');
    expect(done.body).toMatch(/data-summary="read">3</);
    expect(done.body).toMatch(/data-summary="inserted">2</);
    expect(done.body).toMatch(/data-summary="rejected">1</);
    const zofia = await database.db.customer.findFirstOrThrow({
      where: { email: "zofia.importowska@example.com" },
    });
    expect(zofia.phone).toBe("+48601234567");
    const found = await getPage(http, admin, "/console/customers?q=zofia.importowska");
    expect(found.body).toContain("zofia.importowska@example.com");

    imported = id;
    imported = id;
    const rejects = await getPage(http, marketer, `/console/import/${id}/rejects.csv`);
    expect(rejects.statusCode).toBe(200);
    expect(rejects.headers["content-disposition"]).toBe('attachment; filename="klienci.csv.rejects.csv"');
    const lines = rejects.body.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe("line,column,value,reason");
    expect(lines[1]).toMatch(/^4,E-mail,ewa\(at\)example,/);

    const audit = await database.db.auditLog.findMany({
      where: { targetId: id },
      orderBy: { createdAt: "asc" },
    });
    expect(audit.map((a) => a.action).sort()).toEqual(["import.customers", "import.start", "import.upload"]);
    const list = await getPage(http, admin, "/console/import");
    expect(list.body).toContain(`data-import="${id}"`);
  });

  it("imports with the columns as chosen, as a dry run that writes nothing, and says why a file without a contact column stopped", async () => {
    if (workers.length === 0) startWorker();
    const file = Buffer.from("\uFEFFImię;Kontakt;Miasto\r\nOla;ola.dry@example.com;Poznań\r\n", "utf8");
    const id = idOf(
      (await uploadImport(http, admin, { filename: "kontakty.csv", content: file })).headers.location,
    );
    const choices = { _csrf: admin.csrf, map_1: "email", map_2: "ignore", dryRun: "1" };
    const again = await postForm(http, admin, `/console/import/${id}/preview`, choices);
    expect(again.statusCode).toBe(200);
    expect(again.body).toMatch(/Kontakt<\/span>\s*<span class="import-target" data-target="email">/);
    expect(again.body).toMatch(/<option value="ignore" selected>/);
    expect(again.body).toMatch(/name="dryRun" value="1" checked/);
    const bad = await postForm(http, admin, `/console/import/${id}/start`, {
      ...choices,
      map_1: "nosuchfield",
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain("nosuchfield");
    expect(await queueFor(queues, QUEUE_IMPORT).getJob(importJobId(id))).toBeUndefined();
    expect((await postForm(http, admin, `/console/import/${id}/start`, choices)).statusCode).toBe(303);
    const done = await waitFor("the dry run's summary", async () => {
      const page = await getPage(http, admin, `/console/import/${id}`);
      return page.body.includes('data-summary="read"') ? page.body : undefined;
    });
    expect(done).toMatch(/data-summary="inserted">1</);
    expect(done).toContain("Dry run: nothing was written");
    expect(await database.db.customer.count({ where: { email: "ola.dry@example.com" } })).toBe(0);

    const noContact = Buffer.from("Imię;Miasto\nOla;Poznań\n", "utf8");
    const failing = idOf(
      (await uploadImport(http, admin, { filename: "bez.csv", content: noContact })).headers.location,
    );
    await postForm(http, admin, `/console/import/${failing}/start`, { _csrf: admin.csrf });
    const stopped = await waitFor("the failed import's page", async () => {
      const page = await getPage(http, admin, `/console/import/${failing}`);
      return page.body.includes("The import stopped") ? page.body : undefined;
    });
    expect(stopped).toContain("no column for externalId or email or phone");
    expect(await database.db.auditLog.count({ where: { targetId: failing, action: "import.failed" } })).toBe(
      1,
    );
  });

  it("lets agents neither open nor upload, and refuses an upload without the CSRF token: nothing stored", async () => {
    const before = uploads().length;
    expect((await getPage(http, agent, "/console/import")).statusCode).toBe(403);
    const byAgent = await uploadImport(http, agent, { filename: "a.csv", content: SPREADSHEET });
    expect(byAgent.statusCode).toBe(403);
    const noCsrf = await uploadImport(
      http,
      admin,
      { filename: "a.csv", content: SPREADSHEET },
      { csrf: null },
    );
    expect(noCsrf.statusCode).toBe(403);
    const wrongCsrf = await uploadImport(
      http,
      admin,
      { filename: "a.csv", content: SPREADSHEET },
      { csrf: "x" },
    );
    expect(wrongCsrf.statusCode).toBe(403);
    expect(uploads()).toHaveLength(before);
    expect(await database.db.auditLog.count({ where: { action: "import.upload", staffUserId: null } })).toBe(
      0,
    );
    // the rejects only for importers, only of an import by its id
    expect(imported).not.toBe("");
    expect((await getPage(http, agent, `/console/import/${imported}/rejects.csv`)).statusCode).toBe(403);
    for (const id of [
      "..%2F..%2Fetc%2Fpasswd",
      "%2E%2E",
      `${imported}%2F..`,
      "00000000-0000-4000-8000-000000000000",
    ])
      expect((await getPage(http, admin, `/console/import/${id}/rejects.csv`)).statusCode).toBe(404);
  });

  it("refuses a file over the limit with 413 and a garbage file with a clear error, storing neither", async () => {
    const before = uploads().length;
    const big = Buffer.alloc(MAX_BYTES + 10, "a,b\n");
    const tooLarge = await uploadImport(http, admin, { filename: "big.csv", content: big });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.body).toContain("larger than");
    const garbage = Buffer.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00, 0x81, 0xc3,
    ]);
    const unreadable = await uploadImport(http, admin, { filename: "photo.csv", content: garbage });
    expect(unreadable.statusCode).toBe(400);
    expect(unreadable.body).toContain("cannot be read as CSV or JSON lines");
    expect(uploads()).toHaveLength(before);
  });
});
