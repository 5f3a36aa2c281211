import { parse } from "csv-parse/sync";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSegments } from "../../campaigns/index.ts";
import { useTestDatabase } from "../support/db.ts";
import { type Browser, getPage, signedInAs, startConsole } from "./support.ts";

const database = useTestDatabase();
const { segments } = compileSegments(
  `poland:\n  description: Customers in Poland\n  where: country = "PL"\nbroken: country = \n`,
  "segments.yaml",
);
let http: FastifyInstance;
let marketer: Browser & { id: string };

beforeAll(async () => {
  // as `rapport start` gives the console the segments.yaml it loaded
  ({ http } = await startConsole({ db: database.db, deps: { segments: () => segments } }));
  marketer = await signedInAs(http, database.db, "marketer");
  await database.db.customer.createMany({
    data: [
      { name: 'Zofia, "Zosia" Wiśniewska', email: "zofia@example.pl", country: "PL", externalId: "K-1" },
      {
        name: "Jan",
        email: "jan@example.pl",
        country: "PL",
        consent: { data_sharing: { status: "denied" } },
      },
      { name: "Siti", email: "siti@example.id", country: "ID" },
    ],
  });
}, 30_000);
afterAll(() => http?.close());

describe("the segments page", () => {
  it("lists each segment with its members now, and a broken one as such", async () => {
    const page = await getPage(http, marketer, "/console/segments");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<tr data-segment="poland">');
    expect(page.body).toMatch(/data-segment="poland">[\s\S]*?<td class="num">2<\/td>/);
    expect(page.body).toContain('href="/console/segments/poland.csv"');
    expect(page.body).toMatch(/data-segment="broken">[\s\S]*?Has errors/);
  });

  it("downloads a segment as CSV: its members only, never one who refused data sharing, audited", async () => {
    const response = await getPage(http, marketer, "/console/segments/poland.csv");
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(response.headers["content-disposition"]).toMatch(
      /^attachment; filename="segment-poland-\d{4}-\d\d-\d\d\.csv"$/,
    );
    const rows = parse(response.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      email: "zofia@example.pl",
      external_id: "K-1",
      name: 'Zofia, "Zosia" Wiśniewska',
    });
    const audit = await database.db.auditLog.findFirstOrThrow({
      where: { action: "export.segment", staffUserId: marketer.id },
    });
    expect(audit.data).toMatchObject({ segment: "poland", rows: 1, to: "console" });
  });

  it("is for admins and marketers, and knows only the segments of the file", async () => {
    const agent = await signedInAs(http, database.db, "agent");
    expect((await getPage(http, agent, "/console/segments")).statusCode).toBe(403);
    expect((await getPage(http, agent, "/console/segments/poland.csv")).statusCode).toBe(403);
    for (const url of [
      "/console/segments/broken.csv",
      "/console/segments/nope.csv",
      "/console/segments/poland",
      "/console/segments/..%2Fpoland.csv",
    ]) {
      expect((await getPage(http, marketer, url)).statusCode, url).toBe(404);
    }
  });
});
