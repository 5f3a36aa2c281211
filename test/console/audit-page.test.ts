import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/db.ts";
import { type Browser, getPage, signedInAs, startConsole } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let admin: Browser & { id: string };
let other: Browser & { id: string };
let ola: string;

/** The audit row ids a page lists, in its order. */
const listed = (body: string) => [...body.matchAll(/data-audit-id="([0-9a-f-]{36})"/g)].map((m) => m[1]!);

beforeAll(async () => {
  ({ http } = await startConsole({ db: database.db }));
  admin = await signedInAs(http, database.db, "admin");
  other = await signedInAs(http, database.db, "agent");
  ola = (
    await database.db.customer.create({
      data: { name: "Ola Nowak", email: "ola@example.pl", phone: "+48601234567", externalId: "shop-77" },
    })
  ).id;
  // her older profile, merged into her own: its rows are hers now
  const olaBefore = (await database.db.customer.create({ data: { name: "Ola N.", mergedIntoId: ola } })).id;
  const day = (d: number, h = 12) => new Date(Date.UTC(2026, 10, d, h));
  await database.db.auditLog.deleteMany();
  await database.db.auditLog.createMany({
    data: [
      {
        actorType: "staff",
        staffUserId: admin.id,
        action: "customer.export",
        targetType: "Customer",
        targetId: ola,
        createdAt: day(3),
        data: { format: "jsonl" },
      },
      {
        actorType: "staff",
        staffUserId: other.id,
        action: "conversation.reply",
        targetType: "Conversation",
        targetId: "c1",
        createdAt: day(4),
      },
      {
        actorType: "system",
        action: "import.start",
        createdAt: day(5),
        data: { file: "klienci.csv", rows: 1200 },
      },
      {
        actorType: "staff",
        staffUserId: admin.id,
        action: "customer.consent",
        targetType: "Customer",
        targetId: olaBefore,
        createdAt: day(2),
      },
      {
        actorType: "staff",
        staffUserId: other.id,
        action: "customer.merge",
        targetType: "Customer",
        targetId: ola,
        createdAt: day(5, 16),
      },
      ...Array.from({ length: 55 }, (_, i) => ({
        actorType: "staff",
        staffUserId: admin.id,
        action: "staff.login",
        createdAt: new Date(Date.UTC(2026, 10, 6, 0, 30, i)),
      })),
    ],
  });
}, 30_000);
afterAll(() => http?.close());

describe("the audit log page", () => {
  it("lists who did what to which record, newest first, 50 a page with a link to older ones", async () => {
    const page = await getPage(http, admin, "/console/audit");
    expect(page.statusCode).toBe(200);
    const first = listed(page.body);
    expect(first).toHaveLength(50);
    const href = /href="([^"]+)" rel="next"/.exec(page.body)?.[1];
    expect(href).toBeDefined();
    const older = href!.replace(/&#x3D;/g, "=").replace(/&amp;/g, "&");
    expect(older).toMatch(/^\/console\/audit\?before=/);
    const second = listed((await getPage(http, admin, older)).body);
    expect(second).toHaveLength(10);
    expect(new Set([...first, ...second]).size).toBe(60);
    // the customer is named and linked; the system's rows say so; details are shown
    expect(page.body).not.toContain("<code>customer.export</code>");
    const last = (await getPage(http, admin, older)).body;
    expect(last).toContain(`<a href="/console/customers/${ola}">Ola Nowak</a>`);
    expect(last).toMatch(/<td[^>]*>System<\/td>\s*<td[^>]*><code>import\.start<\/code>/);
    expect(last).toContain("<dt>file</dt><dd>klienci.csv</dd>");
  });

  it("filters by staff member, the system, action, customer and dates in the viewer's zone", async () => {
    const count = async (query: string, zone?: string) => {
      const browser = zone
        ? { ...admin, cookie: `${admin.cookie}; rapport_tz=${encodeURIComponent(zone)}` }
        : admin;
      const page = await getPage(http, browser, `/console/audit?${query}`);
      expect(page.statusCode).toBe(200);
      return listed(page.body).length;
    };
    expect(await count(`staff=${other.id}`)).toBe(2);
    expect(await count("staff=system")).toBe(1);
    expect(await count("action=customer.merge")).toBe(1);
    // her email, phone (as typed), shop id or the merged profile's id: her rows and the merged profile's
    expect(await count("customer=ola@example.pl")).toBe(3);
    expect(await count(`customer=${encodeURIComponent("+48 601 234 567")}`)).toBe(3);
    expect(await count("customer=shop-77")).toBe(3);
    expect(await count(`customer=${ola}&action=customer.export`)).toBe(1);
    expect(await count("from=2026-11-04&to=2026-11-05")).toBe(3);
    // the logins at 00:30 UTC on the 6th are on the 5th in New York (19:30), on the 6th in UTC
    expect(await count("from=2026-11-05&to=2026-11-05")).toBe(2);
    expect(await count("from=2026-11-05&to=2026-11-05", "America/New_York")).toBe(50);
    // the action filter offers the actions the log has
    const page = await getPage(http, admin, "/console/audit?action=customer.merge");
    expect(page.body).toContain('<option value="customer.merge" selected>customer.merge</option>');
    expect(page.body).toContain('<option value="import.start">import.start</option>');
  });

  it("says what is wrong with a filter, never a server error, and finds nothing for an unknown customer", async () => {
    const unknown = await getPage(http, admin, "/console/audit?customer=nobody@example.com");
    expect(unknown.statusCode).toBe(200);
    expect(listed(unknown.body)).toHaveLength(0);
    expect(unknown.body).toContain("No customer has this email, phone or id.");
    const bad = await getPage(http, admin, "/console/audit?from=2026-13-40&staff=nope");
    expect(bad.statusCode).toBe(200);
    expect(bad.body).toContain("Write the date as YYYY-MM-DD.");
    expect(bad.body).toContain("Choose a staff member from the list.");
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom("staff", "action", "customer", "from", "to", "before"),
          fc.string({ maxLength: 40 }),
        ),
        async (query) => {
          const response = await getPage(http, admin, `/console/audit?${new URLSearchParams(query)}`);
          expect(response.statusCode).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("is for admins only", async () => {
    expect((await getPage(http, other, "/console/audit")).statusCode).toBe(403);
    const marketer = await signedInAs(http, database.db, "marketer");
    expect((await getPage(http, marketer, "/console/audit")).statusCode).toBe(403);
  });
});
