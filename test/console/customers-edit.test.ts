import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mergeCustomers } from "../../bots/index.ts";
import { editFormOf } from "../../console/customers/edit.ts";
import type { PostalAddress } from "../../console/format.ts";
import { useTestDatabase } from "../support/db.ts";
import { type Browser, getPage, postForm, signedInAs, startConsole, uniqueEmail } from "./support.ts";

const database = useTestDatabase();
let http: FastifyInstance;
let agent: Browser & { id: string };
let admin: Browser & { id: string };
let marketer: Browser & { id: string };

beforeAll(async () => {
  ({ http } = await startConsole({
    db: database.db,
    deps: {
      // the merge link is offered only where merging is wired, as `rapport start` wires it
      mergeCustomers: (survivorId, mergedId, staffUserId) =>
        mergeCustomers(database.db, survivorId, mergedId, {
          reason: "staff",
          actorType: "staff",
          staffUserId,
        }),
    },
  }));
  agent = await signedInAs(http, database.db, "agent");
  admin = await signedInAs(http, database.db, "admin");
  marketer = await signedInAs(http, database.db, "marketer");
});

afterAll(async () => {
  await http.close();
});

/** A fresh customer in Poland with an address, and their id. */
async function customer(extra: { email?: string; phone?: string; tags?: string[] } = {}): Promise<string> {
  const row = await database.db.customer.create({
    data: {
      name: "Ania Nowak",
      email: extra.email ?? uniqueEmail("ania"),
      phone: extra.phone ?? null,
      country: "PL",
      locale: "pl",
      timezone: "Europe/Warsaw",
      address: { line1: "ul. Długa 1", city: "Gdańsk", postalCode: "80-831", country: "PL" },
      tags: extra.tags ?? [],
    },
  });
  return row.id;
}

/** The edit form's fields for a customer as stored, with some changed. */
async function formOf(id: string, changes: Record<string, string>): Promise<Record<string, string>> {
  const row = await database.db.customer.findUniqueOrThrow({ where: { id } });
  return { ...editFormOf({ ...row, address: row.address as PostalAddress | null }), ...changes };
}

function auditsOf(id: string, action: string) {
  return database.db.auditLog.findMany({ where: { targetId: id, action }, orderBy: { createdAt: "asc" } });
}

describe("customer tags", () => {
  it("adds typed tags lower-cased, shows them on the profile, and audits what was added", async () => {
    const id = await customer();
    const response = await postForm(http, agent, `/console/customers/${id}/tags`, {
      _csrf: agent.csrf,
      tags: "VIP, Wholesale buyer, vip",
    });
    expect(response.statusCode, response.body).toBe(303);
    const row = await database.db.customer.findUniqueOrThrow({ where: { id } });
    expect(row.tags).toEqual(["vip", "wholesale-buyer"]);
    const audits = await auditsOf(id, "customer.tags");
    expect(audits).toHaveLength(1);
    expect(audits[0]!.staffUserId).toBe(agent.id);
    expect(audits[0]!.data).toEqual({ added: ["vip", "wholesale-buyer"], removed: [] });
    const page = await getPage(http, agent, `/console/customers/${id}`);
    expect(page.body).toContain('data-tag="vip"');
    expect(page.body).toContain('data-tag="wholesale-buyer"');
  });

  it("removes a tag and audits it; removing a tag the customer lacks changes and audits nothing", async () => {
    const id = await customer({ tags: ["gold", "vip"] });
    const response = await postForm(http, agent, `/console/customers/${id}/tags/remove`, {
      _csrf: agent.csrf,
      tag: "vip",
    });
    expect(response.statusCode).toBe(303);
    expect((await database.db.customer.findUniqueOrThrow({ where: { id } })).tags).toEqual(["gold"]);
    await postForm(http, agent, `/console/customers/${id}/tags/remove`, { _csrf: agent.csrf, tag: "vip" });
    const audits = await auditsOf(id, "customer.tags");
    expect(audits.map((a) => a.data)).toEqual([{ added: [], removed: ["vip"] }]);
  });

  it("refuses a tag with punctuation with 400 naming it, and stores nothing", async () => {
    const id = await customer();
    const response = await postForm(http, agent, `/console/customers/${id}/tags`, {
      _csrf: agent.csrf,
      tags: "ok, <b>bad</b>",
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain("&lt;b&gt;bad&lt;/b&gt;");
    expect(response.body).toContain('id="tags-add-error"');
    expect((await database.db.customer.findUniqueOrThrow({ where: { id } })).tags).toEqual([]);
    expect(await auditsOf(id, "customer.tags")).toHaveLength(0);
  });

  it("lists only the customers with a tag, and shows each row's tags", async () => {
    const tagged = await customer({ tags: ["filter-test-tag"] });
    const other = await customer({ tags: ["something-else"] });
    const page = await getPage(http, agent, "/console/customers?tag=Filter-Test-Tag");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`/console/customers/${tagged}"`);
    expect(page.body).not.toContain(`/console/customers/${other}"`);
    expect(page.body).toContain('data-tag-filter="filter-test-tag"');
    // the list's form shows the tag it filters on, to change or clear
    expect(page.body).toMatch(/<input id="customer-tag" name="tag" value="filter-test-tag"/);
    expect(page.body).toContain('href="/console/customers?tag=filter-test-tag"');
  });

  it("is for admins and agents: a marketer is refused", async () => {
    const id = await customer();
    const response = await postForm(http, marketer, `/console/customers/${id}/tags`, {
      _csrf: marketer.csrf,
      tags: "vip",
    });
    expect(response.statusCode).toBe(403);
    expect((await database.db.customer.findUniqueOrThrow({ where: { id } })).tags).toEqual([]);
  });
});

describe("editing a customer's details", () => {
  let id: string;
  beforeEach(async () => {
    id = await customer();
  });

  it("saves every field, the phone in E.164, and audits before and after of the changed fields only", async () => {
    const before = await database.db.customer.findUniqueOrThrow({ where: { id } });
    const newEmail = uniqueEmail("ANIA.NEW").replace("@example.com", "@Example.com");
    const response = await postForm(http, agent, `/console/customers/${id}/edit`, {
      _csrf: agent.csrf,
      ...(await formOf(id, {
        name: "Anna Nowak",
        email: newEmail,
        phone: "601 234 567",
        locale: "en",
        timezone: "asia/jakarta",
        city: "Sopot",
        postalCode: "81-701",
      })),
    });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe(`/console/customers/${id}?saved=1`);
    const row = await database.db.customer.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      name: "Anna Nowak",
      email: newEmail.toLowerCase(),
      phone: "+48601234567",
      locale: "en",
      timezone: "Asia/Jakarta",
      address: { line1: "ul. Długa 1", city: "Sopot", postalCode: "81-701", country: "PL" },
    });
    const audits = await auditsOf(id, "customer.edit");
    expect(audits).toHaveLength(1);
    expect(audits[0]!.staffUserId).toBe(agent.id);
    expect(audits[0]!.data).toEqual({
      name: { before: "Ania Nowak", after: "Anna Nowak" },
      email: { before: before.email, after: newEmail.toLowerCase() },
      phone: { before: null, after: "+48601234567" },
      locale: { before: "pl", after: "en" },
      timezone: { before: "Europe/Warsaw", after: "Asia/Jakarta" },
      address: {
        before: { line1: "ul. Długa 1", city: "Gdańsk", postalCode: "80-831", country: "PL" },
        after: { line1: "ul. Długa 1", city: "Sopot", postalCode: "81-701", country: "PL" },
      },
    });
    // the new address is the customer's email identity too: mail from it reaches them
    const identity = await database.db.identity.findUnique({
      where: { channel_externalId: { channel: "email", externalId: newEmail.toLowerCase() } },
    });
    expect(identity?.customerId).toBe(id);
    const page = await getPage(http, agent, `/console/customers/${id}?saved=1`);
    expect(page.body).toContain("+48601234567");
    expect(page.body).toContain("Sopot");
  });

  it("records only what changed, and nothing when nothing did", async () => {
    await postForm(http, agent, `/console/customers/${id}/edit`, {
      _csrf: agent.csrf,
      ...(await formOf(id, { name: "Ania N." })),
    });
    const same = await postForm(http, agent, `/console/customers/${id}/edit`, {
      _csrf: agent.csrf,
      ...(await formOf(id, {})),
    });
    expect(same.headers.location).toBe(`/console/customers/${id}?saved=0`);
    const audits = await auditsOf(id, "customer.edit");
    expect(audits.map((a) => a.data)).toEqual([{ name: { before: "Ania Nowak", after: "Ania N." } }]);
  });

  it.each([
    ["phone", "12", "edit-phone-error", "phone number"],
    ["timezone", "Mars/Olympus", "edit-timezone-error", "time zone"],
    ["email", "not-an-address", "edit-email-error", "email address"],
    ["locale", "de", "edit-locale-error", "English, Indonesian or Polish"],
    ["country", "Poland", "edit-country-error", "two-letter"],
  ])(
    "refuses a bad %s with 400 naming the field, and changes nothing",
    async (field, value, errorId, words) => {
      const before = await database.db.customer.findUniqueOrThrow({ where: { id } });
      const response = await postForm(http, agent, `/console/customers/${id}/edit`, {
        _csrf: agent.csrf,
        ...(await formOf(id, { [field]: value, name: "Changed too" })),
      });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain(`id="${errorId}"`);
      expect(response.body).toContain(`data-error-for="${field}"`);
      expect(response.body).toContain(words);
      // the typed values stay in the form
      expect(response.body).toContain('value="Changed too"');
      expect(await database.db.customer.findUniqueOrThrow({ where: { id } })).toEqual(before);
      expect(await auditsOf(id, "customer.edit")).toHaveLength(0);
    },
  );

  it("names the field in the staff member's language (Polish)", async () => {
    const polish = await signedInAs(http, database.db, "agent");
    await database.db.staffUser.update({ where: { id: polish.id }, data: { locale: "pl" } });
    const response = await postForm(http, polish, `/console/customers/${id}/edit`, {
      _csrf: polish.csrf,
      ...(await formOf(id, { timezone: "Mars/Olympus" })),
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain("Nie znamy takiej strefy czasowej");
  });

  it("refuses another customer's email, linking them and suggesting a merge, and moves no identity", async () => {
    const ownerEmail = uniqueEmail("owner");
    const owner = await customer({ email: ownerEmail });
    await database.db.identity.create({
      data: { customerId: owner, channel: "email", externalId: ownerEmail },
    });
    const response = await postForm(http, admin, `/console/customers/${id}/edit`, {
      _csrf: admin.csrf,
      ...(await formOf(id, { email: ownerEmail.toUpperCase() })),
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('id="edit-email-error"');
    expect(response.body).toContain(`href="/console/customers/${owner}"`);
    expect(response.body).toContain(`href="/console/customers/${id}/merge?other=${owner}"`);
    expect((await database.db.customer.findUniqueOrThrow({ where: { id: owner } })).email).toBe(ownerEmail);
    expect((await database.db.customer.findUniqueOrThrow({ where: { id } })).email).not.toBe(ownerEmail);
    const identities = await database.db.identity.findMany({ where: { externalId: ownerEmail } });
    expect(identities.map((i) => i.customerId)).toEqual([owner]);
    expect(await auditsOf(id, "customer.edit")).toHaveLength(0);
  });

  it("refuses an email that is only another customer's email identity, and another's phone", async () => {
    const address = uniqueEmail("chat");
    const holder = await customer({ phone: "+48601999888" });
    await database.db.identity.create({
      data: { customerId: holder, channel: "email", externalId: address },
    });
    const response = await postForm(http, agent, `/console/customers/${id}/edit`, {
      _csrf: agent.csrf,
      ...(await formOf(id, { email: address, phone: "+48 601 999 888" })),
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('id="edit-email-error"');
    expect(response.body).toContain('id="edit-phone-error"');
    // an agent cannot merge: the link to the other customer is there, the merge link is not
    expect(response.body).toContain(`href="/console/customers/${holder}"`);
    expect(response.body).not.toContain("/merge?other=");
  });

  it("answers 400 to a malformed body and 404 to an unknown customer, never 500", async () => {
    const tooLong = await postForm(http, agent, `/console/customers/${id}/edit`, {
      _csrf: agent.csrf,
      name: "x".repeat(5000),
    });
    expect(tooLong.statusCode).toBe(400);
    const missing = await postForm(
      http,
      agent,
      "/console/customers/00000000-0000-4000-8000-000000000000/edit",
      {
        _csrf: agent.csrf,
        ...(await formOf(id, {})),
      },
    );
    expect(missing.statusCode).toBe(404);
    const notAnId = await getPage(http, agent, "/console/customers/nope/edit");
    expect(notAnId.statusCode).toBe(404);
  });

  it("shows the form filled with the customer's details", async () => {
    const page = await getPage(http, agent, `/console/customers/${id}/edit`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('value="Ania Nowak"');
    expect(page.body).toContain('value="Europe/Warsaw"');
    expect(page.body).toContain('value="Gdańsk"');
    expect(page.body).toMatch(/<option value="pl" lang="pl" selected>/);
  });
});
